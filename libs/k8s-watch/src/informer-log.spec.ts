import { describe, expect, it } from 'vitest';
import { describeInformerEvent } from './informer-log.js';
import type { InformerEvent } from './informer.js';
import { ApiError } from './types.js';

describe('describeInformerEvent', () => {
  it.each<[InformerEvent, string, string, Record<string, unknown>]>([
    [{ kind: 'error', error: new ApiError(0, 'Transport', 'connect ECONNREFUSED 127.0.0.1:6443'), message: 'connect ECONNREFUSED 127.0.0.1:6443', during: 'watch', retryInMs: 1234.56 }, 'warn', 'informer watch failed, retrying', { error: 'connect ECONNREFUSED 127.0.0.1:6443', during: 'watch', retryInMs: 1235 }],
    [{ kind: 'expired', resourceVersion: '7', message: 'too old resource version: 7 (9)', retryInMs: 0 }, 'warn', 'informer watch expired, relisting', { error: 'too old resource version: 7 (9)', resourceVersion: '7', retryInMs: 0 }],
    [{ kind: 'object-error', error: new TypeError('x'), message: 'spec.ports is not an array', key: 'default/bad', resourceVersion: '5', outcome: 'skipped' }, 'warn', 'informer skipped an object it cannot read', { key: 'default/bad', error: 'spec.ports is not an array', outcome: 'skipped' }],
    [{ kind: 'handler-error', error: new Error('x'), message: 'boom', key: 'default/a', resourceVersion: '3', handler: 'update' }, 'warn', 'informer handler failed', { key: 'default/a', handler: 'update', error: 'boom' }],
    [{ kind: 'synced' }, 'info', 'informer synced', {}],
    [{ kind: 'listed', resourceVersion: '9', count: 2, skipped: 1 }, 'debug', 'informer listed', { count: 2, skipped: 1 }],
    [{ kind: 'watch-started', resourceVersion: '9' }, 'debug', 'informer watching', {}],
    [{ kind: 'watch-closed', resourceVersion: '9', events: 4 }, 'debug', 'informer watch closed', { events: 4 }],
    [{ kind: 'ignored', reason: 'stale', key: 'default/a' }, 'debug', 'informer ignored an event', { reason: 'stale' }],
  ])('%j → %s %s', (e, level, msg, fields) => {
    const l = describeInformerEvent(e, 'services');
    expect(l.level).toBe(level);
    expect(l.msg).toBe(msg);
    expect(l.fields).toMatchObject({ resource: 'services', ...fields });
    // Flat and JSON-safe: the error text is there, never an Error object.
    expect(Object.values(l.fields).every((v) => ['string', 'number', 'boolean'].includes(typeof v))).toBe(true);
    expect(l.throttleKey).toBe(level === 'warn' ? `services:${e.kind}` : undefined);
  });
});
