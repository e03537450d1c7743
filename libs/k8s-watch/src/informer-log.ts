/**
 * How an app should log an {@link InformerEvent}: a level, a message and flat JSON-safe fields
 * (the error as text, delays rounded), plus the key to rate-limit it by with a `LogThrottle`.
 * Pure; `@metallb-ts/app-runtime` wires it to its logger.
 */
import type { InformerEvent } from './informer.js';

/** A log line for one informer event. */
export interface InformerLogLine {
  /** `warn` for failures (errors, relists, objects or handlers that failed), `info` for sync, `debug` for the rest. */
  level: 'debug' | 'info' | 'warn';
  msg: string;
  fields: Record<string, string | number | boolean>;
  /** Rate-limit `warn` lines by this key (`resource:kind`); absent for lines that need none. */
  throttleKey?: string;
}

/**
 * Describes an informer event for logging.
 *
 * @example
 * const throttle = new LogThrottle({ clock });
 * new Informer({ ..., onEvent: (e) => {
 *   const l = describeInformerEvent(e, 'services');
 *   const d = l.throttleKey ? throttle.admit(l.throttleKey) : { kind: 'log', suppressed: 0 };
 *   if (d.kind === 'log') log[l.level](l.msg, { ...l.fields, ...(d.suppressed ? { suppressed: d.suppressed } : {}) });
 * } });
 */
export function describeInformerEvent(e: InformerEvent, resource: string): InformerLogLine {
  const warn = (msg: string, fields: InformerLogLine['fields']): InformerLogLine => ({ level: 'warn', msg, fields: { resource, ...fields }, throttleKey: `${resource}:${e.kind}` });
  const debug = (msg: string, fields: InformerLogLine['fields'] = {}): InformerLogLine => ({ level: 'debug', msg, fields: { resource, ...fields } });
  switch (e.kind) {
    case 'error':
      return warn(`informer ${e.during} failed, retrying`, { error: e.message, during: e.during, retryInMs: Math.round(e.retryInMs) });
    case 'expired':
      return warn('informer watch expired, relisting', { error: e.message, resourceVersion: e.resourceVersion, retryInMs: Math.round(e.retryInMs) });
    case 'object-error':
      return warn('informer skipped an object it cannot read', { key: e.key, resourceVersion: e.resourceVersion, error: e.message, outcome: e.outcome });
    case 'handler-error':
      return warn('informer handler failed', { key: e.key, resourceVersion: e.resourceVersion, handler: e.handler, error: e.message });
    case 'synced':
      return { level: 'info', msg: 'informer synced', fields: { resource } };
    case 'listed':
      return debug('informer listed', { resourceVersion: e.resourceVersion, count: e.count, skipped: e.skipped });
    case 'watch-started':
      return debug('informer watching', { resourceVersion: e.resourceVersion });
    case 'watch-closed':
      return debug('informer watch closed', { resourceVersion: e.resourceVersion, events: e.events });
    case 'ignored':
      return debug('informer ignored an event', { key: e.key, reason: e.reason });
    default: {
      // Exhaustive: a new event kind must be given a level here.
      const never: never = e;
      return debug('informer event', { kind: String((never as { kind: unknown }).kind) });
    }
  }
}
