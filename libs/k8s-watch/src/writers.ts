/**
 * Writers: status patches (merge patch or server-side apply), server-side apply of whole
 * objects, create-or-update with optimistic concurrency and retry on 409, and an
 * {@link EventRecorder} with de-duplication and per-object rate limiting.
 */
import { formatRfc3339, systemClock, systemRng, jitter, type Clock, type Rng } from '@metallb-ts/clock';
import { TokenBucket } from './rate-limiter.js';
import { apiVersionOf, isApiError, PatchType, Resources, type ApiClient, type KubeObject, type ResourceRef } from './types.js';

/** Options of {@link retryOnConflict}. */
export interface RetryOptions {
  /** Attempts in total. @default 5 */
  attempts?: number;
  /** Delay between attempts. @default 10 */
  delayMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemRng */
  rng?: Rng;
}

/** Whether `e` is an optimistic-concurrency conflict (409 with a stale resourceVersion), not an apply field conflict. */
export function isConflict(e: unknown): boolean {
  return isApiError(e, 409) && e.reason === 'Conflict' && !(e.status?.details?.causes ?? []).some((c) => c.reason === 'FieldManagerConflict');
}

/**
 * Runs `fn` again while it fails with a resourceVersion conflict (client-go's
 * `retry.RetryOnConflict` with `DefaultRetry`: 5 attempts, 10 ms, 10 % jitter). Other errors,
 * and the last conflict, are thrown.
 */
export async function retryOnConflict<R>(fn: () => Promise<R>, opts: RetryOptions = {}): Promise<R> {
  const attempts = opts.attempts ?? 5;
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? systemRng;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isConflict(e) || i >= attempts) throw e;
      await clock.sleep(jitter(rng, opts.delayMs ?? 10, 0.1));
    }
  }
}

/** Merge-patches `status` of an object through the status subresource. */
export function patchStatus<T extends KubeObject>(client: ApiClient, r: ResourceRef, namespace: string | undefined, name: string, status: unknown, fieldManager?: string): Promise<T> {
  return client.patch<T>(r, namespace, name, PatchType.merge, { status }, { fieldManager }, 'status');
}

/** Server-side applies `obj` (must carry apiVersion, kind, metadata.name[, namespace]) as `fieldManager`. */
export function applyObject<T extends KubeObject>(client: ApiClient, r: ResourceRef, obj: T, fieldManager: string, force = true): Promise<T> {
  const body = { apiVersion: apiVersionOf(r), ...obj };
  return client.patch<T>(r, obj.metadata.namespace, obj.metadata.name, PatchType.apply, body, { fieldManager, force });
}

/** Server-side applies only the status of `obj` through the status subresource. */
export function applyStatus<T extends KubeObject>(client: ApiClient, r: ResourceRef, obj: { apiVersion?: string; kind: string; metadata: { name: string; namespace?: string }; status: unknown }, fieldManager: string, force = true): Promise<T> {
  const body = { apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status: obj.status };
  return client.patch<T>(r, obj.metadata.namespace, obj.metadata.name, PatchType.apply, body, { fieldManager, force }, 'status');
}

/** What {@link createOrUpdate} did. */
export type CreateOrUpdateResult<T> = { op: 'created' | 'updated' | 'unchanged'; object: T };

/**
 * Reads the object, lets `mutate` produce the desired state from the current one (`undefined`
 * when absent), and creates it or updates it with the read resourceVersion as precondition;
 * conflicts (409) start over with a fresh read. `mutate` must be a pure function of its input.
 * With `subresource: 'status'` the update goes to `/status` (create still goes to the object).
 */
export async function createOrUpdate<T extends KubeObject>(
  client: ApiClient,
  r: ResourceRef,
  namespace: string | undefined,
  name: string,
  mutate: (current: T | undefined) => T,
  opts: RetryOptions & { fieldManager?: string; subresource?: 'status' } = {},
): Promise<CreateOrUpdateResult<T>> {
  return retryOnConflict(async () => {
    let current: T | undefined;
    try {
      current = await client.get<T>(r, namespace, name);
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
    }
    const desired = mutate(current === undefined ? undefined : structuredClone(current));
    if (!current) {
      try {
        const created = await client.create<T>(r, namespace, desired, { fieldManager: opts.fieldManager });
        if (opts.subresource === 'status' && (desired as KubeObject).status !== undefined) {
          const withStatus = await client.update<T>(r, namespace, { ...created, status: (desired as KubeObject).status }, { fieldManager: opts.fieldManager }, 'status');
          return { op: 'created' as const, object: withStatus };
        }
        return { op: 'created' as const, object: created };
      } catch (e) {
        // Someone created it between our read and write: retry as an update.
        if (isApiError(e, 409) && e.reason === 'AlreadyExists') throw Object.assign(e, { reason: 'Conflict' });
        throw e;
      }
    }
    if (JSON.stringify(desired) === JSON.stringify(current)) return { op: 'unchanged' as const, object: current };
    const body = { ...desired, metadata: { ...desired.metadata, resourceVersion: current.metadata.resourceVersion } };
    const updated = await client.update<T>(r, namespace, body, { fieldManager: opts.fieldManager }, opts.subresource);
    return { op: 'updated' as const, object: updated };
  }, opts);
}

/** `Normal` or `Warning`. */
export type EventType = 'Normal' | 'Warning';

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  client: ApiClient;
  /** `source.component` and `reportingComponent`, e.g. `metallb-controller`. */
  component: string;
  /** `source.host` / `reportingInstance` (the node or pod name). */
  host?: string;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemRng */
  rng?: Rng;
  /** Identical events within this window bump `count` on the existing Event. @default 600000 */
  dedupWindowMs?: number;
  /** Per-object spam filter: burst. @default 25 */
  burst?: number;
  /** Per-object spam filter: refill rate. @default 1/300 (one per 5 minutes, like client-go) */
  qps?: number;
  /** Remembered distinct events (LRU). @default 4096 */
  cacheSize?: number;
  /** Write failures (events are best effort and never throw). */
  onError?(e: Error): void;
}

/**
 * The type of the object an Event is about, given explicitly: objects from list responses of a
 * real API server carry no `apiVersion`/`kind`, so they cannot be read off the object.
 */
export interface InvolvedKind {
  /** e.g. `v1`, `metallb.io/v1beta1`. */
  apiVersion: string;
  /** e.g. `Service`, `ConfigurationState`. */
  kind: string;
}

/** What {@link EventRecorder.record} did. */
export type RecordOutcome = 'created' | 'updated' | 'rate-limited' | 'failed';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  at: number;
  /** The create, then every count patch, in order: repeats wait for it (never a second create). */
  tail: Promise<void>;
}

/**
 * Records Kubernetes Events (core/v1) about objects, with client-go's aggregation semantics
 * (`EventCorrelator`'s de-duplication): a repeat of the same event (same involved object, type,
 * reason and message) within the de-duplication window patches the existing Event's `count`
 * and `lastTimestamp` instead of creating another one — also when the repeat comes while the
 * first Event is still being created (it waits for the create, then patches). Each object gets a
 * token bucket so a hot loop cannot flood the API server (dropped events are counted as
 * `rate-limited`).
 */
export class EventRecorder {
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
  }

  private ts(): string {
    return formatRfc3339(this.clock.now());
  }

  /**
   * Records an event about `obj`, whose type is `involved` (`{ apiVersion: 'v1', kind: 'Service' }`;
   * the object's own `apiVersion`/`kind` are ignored). Never throws.
   */
  async record(obj: KubeObject, involved: InvolvedKind, type: EventType, reason: string, message: string): Promise<RecordOutcome> {
    const ns = obj.metadata.namespace ?? 'default';
    const objKey = `${involved.kind}/${ns}/${obj.metadata.name}/${obj.metadata.uid ?? ''}`;
    let bucket = this.buckets.get(objKey);
    if (!bucket) {
      bucket = new TokenBucket(this.opts.qps ?? 1 / 300, this.opts.burst ?? 25, this.clock);
      this.buckets.set(objKey, bucket);
      this.trim(this.buckets);
    }
    if (!bucket.tryTake()) return 'rate-limited';
    const key = `${objKey}/${type}/${reason}/${message}`;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.monotonic();
      const prev = this.seen.get(key);
      if (prev && now - prev.at < (this.opts.dedupWindowMs ?? 600_000)) {
        const out = await this.repeat(key, prev, now);
        // The first Event's create failed meanwhile: create it now (once).
        if (out === 'create-failed' && attempt === 0) continue;
        return out === 'create-failed' ? 'failed' : out;
      }
      return this.create(key, obj, involved, ns, type, reason, message, now);
    }
  }

  /** A repeat: `count` + 1 on the existing Event, after its create and earlier patches. */
  private async repeat(key: string, prev: Seen, now: number): Promise<'updated' | 'failed' | 'create-failed'> {
    prev.count++;
    prev.at = now;
    this.seen.delete(key);
    this.seen.set(key, prev);
    let createFailed = false;
    const run = prev.tail.then(async () => {
      if (this.seen.get(key) !== prev) {
        createFailed = true;
        return;
      }
      // The latest count, so patches that queued up end on the right total.
      await this.opts.client.patch(Resources.events, prev.namespace, prev.name, PatchType.merge, { count: prev.count, lastTimestamp: this.ts() });
    });
    prev.tail = run.catch(() => undefined);
    try {
      await run;
      return createFailed ? 'create-failed' : 'updated';
    } catch (e) {
      // The Event may have been garbage-collected: forget it so the next repeat creates a new one.
      if (this.seen.get(key) === prev) this.seen.delete(key);
      this.opts.onError?.(e as Error);
      return 'failed';
    }
  }

  private async create(key: string, obj: KubeObject, involved: InvolvedKind, ns: string, type: EventType, reason: string, message: string, now: number): Promise<RecordOutcome> {
    const name = `${obj.metadata.name}.${Math.floor(this.clock.now() * 1000).toString(16)}${this.rng.int(0xffff).toString(16).padStart(4, '0')}`;
    const t = this.ts();
    let created!: () => void;
    // Remembered before the write: a repeat arriving meanwhile waits for this create.
    const entry: Seen = { name, namespace: ns, count: 1, first: t, at: now, tail: new Promise<void>((r) => (created = r)) };
    this.seen.set(key, entry);
    this.trim(this.seen);
    try {
      await this.opts.client.create(Resources.events, ns, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
        type,
        reason,
        message,
        source: { component: this.opts.component, host: this.opts.host },
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.host ?? '',
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
      });
      return 'created';
    } catch (e) {
      if (this.seen.get(key) === entry) this.seen.delete(key);
      this.opts.onError?.(e as Error);
      return 'failed';
    } finally {
      created();
    }
  }

  private trim(m: Map<string, unknown>): void {
    const max = this.opts.cacheSize ?? 4096;
    while (m.size > max) m.delete(m.keys().next().value!);
  }
}
