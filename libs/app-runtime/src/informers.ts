/**
 * Informers the way every metallb-ts app runs them: each failure said at `warn` with the error
 * text (watch failures, relists, objects or handlers that failed), rate-limited per resource and
 * kind so an outage is a few lines, not a flood; counted in `metallb_ts_informer_*` metrics; and
 * reconnecting at least every `reconnectMaxMs` while the API server is away, so its return is
 * noticed within that bound (client-go's reflector waits up to 30 s).
 */
import { systemClock, type Clock } from '@metallb-ts/clock';
import { DEFAULT_BACKOFF, describeInformerEvent, Informer, LogThrottle, resourceLabel, type BackoffPolicy, type InformerEvent, type InformerOptions, type KubeObject } from '@metallb-ts/k8s-watch';
import type { Fields, Logger } from './log.js';
import type { AppMetrics } from './metrics.js';
import type { Counter, Gauge } from 'prom-client';

/** The longest pause between informer reconnect attempts. @default 5000 */
export const DEFAULT_RECONNECT_MAX_MS = 5000;

/** Options of {@link ThrottledLog}. */
export interface ThrottledLogOptions {
  log: Logger;
  /** @default systemClock */
  clock?: Clock;
  /** Lines per key per window. @default 3 */
  burst?: number;
  /** @default 60000 */
  windowMs?: number;
}

/**
 * A logger for lines that repeat while something is broken: per key, at most `burst` lines per
 * window; the next line let through says how many were held back (`suppressed`).
 */
export class ThrottledLog {
  private readonly log: Logger;
  private readonly throttle: LogThrottle;

  constructor(opts: ThrottledLogOptions) {
    this.log = opts.log;
    this.throttle = new LogThrottle({ clock: opts.clock ?? systemClock, ...(opts.burst ? { burst: opts.burst } : {}), ...(opts.windowMs ? { windowMs: opts.windowMs } : {}) });
  }

  /** Logs `msg` at `level` unless `key` is over its budget; returns whether it was logged. */
  line(level: 'debug' | 'info' | 'warn' | 'error', key: string, msg: string, fields: Fields = {}): boolean {
    const d = this.throttle.admit(key);
    if (d.kind === 'suppress') return false;
    this.log[level](msg, d.suppressed ? { ...fields, suppressed: d.suppressed } : fields);
    return true;
  }

  /** {@link line} at `warn`. */
  warn(key: string, msg: string, fields: Fields = {}): boolean {
    return this.line('warn', key, msg, fields);
  }
}

/** The `metallb_ts_informer_*` metrics, labelled by `resource` (`services`, `ipaddresspools.metallb.io`). */
export class InformerMetrics {
  /** Failed lists and watches (each followed by a back-off). */
  readonly errors: Counter;
  /** Relists because the watch's resourceVersion expired (410 Gone). */
  readonly relists: Counter;
  /** Object versions the informer's transform rejected (kept out of the cache). */
  readonly objectErrors: Counter;
  /** Handler calls that threw. */
  readonly handlerErrors: Counter;
  /** Objects kept out of the cache now because their latest version does not parse. */
  readonly poisoned: Gauge;

  constructor(metrics: AppMetrics) {
    this.errors = metrics.counter('metallb_ts_informer_errors_total', 'Failed lists and watches of an informer (each followed by a back-off).', ['resource']);
    this.relists = metrics.counter('metallb_ts_informer_relists_total', 'Relists of an informer because its watch resourceVersion expired (410 Gone).', ['resource']);
    this.objectErrors = metrics.counter('metallb_ts_informer_object_errors_total', 'Object versions an informer could not read and kept out of its cache.', ['resource']);
    this.handlerErrors = metrics.counter('metallb_ts_informer_handler_errors_total', 'Informer event handler calls that threw.', ['resource']);
    this.poisoned = metrics.gauge('metallb_ts_informer_poisoned_objects', 'Objects an informer keeps out of its cache now because their latest version cannot be read.', ['resource']);
  }
}

/** Options of {@link InformerObserver}. */
export interface InformerObserverOptions {
  log: Logger;
  /** Where the `metallb_ts_informer_*` metrics go; none when absent. */
  metrics?: AppMetrics;
  /** @default systemClock */
  clock?: Clock;
  /** Rate limit of the warn lines, per resource and failure kind. @default 3 per minute */
  burst?: number;
  /** @default 60000 */
  windowMs?: number;
  /** Cap of the reconnect back-off. @default DEFAULT_RECONNECT_MAX_MS */
  reconnectMaxMs?: number;
}

/**
 * Builds an app's informers with logging, metrics and a bounded reconnect back-off wired in, so
 * both apps report informer trouble the same way.
 *
 * @example
 * const informers = new InformerObserver({ log, metrics, clock });
 * const services = informers.informer({ client, resource: CORE_RESOURCES.services, transform: stampTypeMeta(CORE_RESOURCES.services) });
 */
export class InformerObserver {
  private readonly opts: InformerObserverOptions;
  private readonly throttled: ThrottledLog;
  private readonly metrics: InformerMetrics | undefined;
  private readonly tracked: Informer<KubeObject>[] = [];

  constructor(opts: InformerObserverOptions) {
    this.opts = opts;
    this.throttled = new ThrottledLog({ log: opts.log, ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.burst ? { burst: opts.burst } : {}), ...(opts.windowMs ? { windowMs: opts.windowMs } : {}) });
    if (opts.metrics) {
      const m = new InformerMetrics(opts.metrics);
      this.metrics = m;
      opts.metrics.onScrape(() => {
        for (const i of this.tracked) {
          const s = i.stats();
          m.poisoned.set({ resource: s.resource }, s.poisoned);
        }
      });
    }
  }

  /** The reconnect back-off of every informer built here. */
  get backoff(): BackoffPolicy {
    const maxMs = this.opts.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS;
    return { ...DEFAULT_BACKOFF, maxMs, initialMs: Math.min(DEFAULT_BACKOFF.initialMs, maxMs) };
  }

  /** Logs and counts one informer event of `resource` (an `onEvent` hook). */
  observe(resource: string, e: InformerEvent): void {
    const m = this.metrics;
    if (m) {
      if (e.kind === 'error') m.errors.inc({ resource });
      else if (e.kind === 'expired') m.relists.inc({ resource });
      else if (e.kind === 'object-error') m.objectErrors.inc({ resource });
      else if (e.kind === 'handler-error') m.handlerErrors.inc({ resource });
    }
    const l = describeInformerEvent(e, resource);
    if (l.throttleKey) this.throttled.line(l.level, `informer:${l.throttleKey}`, l.msg, l.fields);
    else this.opts.log[l.level](l.msg, l.fields);
  }

  /** An informer with this observer's logging, metrics and back-off (an `onEvent` in `opts` runs too). */
  informer<T extends KubeObject>(opts: InformerOptions<T>): Informer<T> {
    const resource = resourceLabel(opts.resource);
    const own = opts.onEvent;
    const inf = new Informer<T>({
      backoff: this.backoff,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...opts,
      onEvent: (e) => {
        this.observe(resource, e);
        own?.(e);
      },
    });
    this.tracked.push(inf as unknown as Informer<KubeObject>);
    return inf;
  }
}
