import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, type QueueKey } from './queue-key.js';

describe('work-queue keys', () => {
  it.each([
    [{ kind: 'config' }, 'config'],
    [{ kind: 'gate' }, 'gate'],
    [{ kind: 'reprocess' }, 'reprocess'],
    [{ kind: 'service', key: 'default/web' }, 'svc/default/web'],
    [{ kind: 'service', key: '/web' }, 'svc//web'],
    [{ kind: 'pool', name: 'first-pool' }, 'pool/first-pool'],
  ] as [QueueKey, string][])('%j ⇄ %s (the text the logs show)', (k, s) => {
    expect(encodeKey(k)).toBe(s);
    expect(decodeKey(s)).toEqual(k);
  });
  it.each(['', 'svc/', 'pool/', 'svc', 'configs', 'other/x'])('%j is no key', (s) => {
    expect(decodeKey(s)).toBeUndefined();
  });
  it('every key round-trips, and distinct keys never share a text', () => {
    const key = fc.oneof(
      fc.constantFrom<QueueKey>({ kind: 'config' }, { kind: 'gate' }, { kind: 'reprocess' }),
      fc.string({ minLength: 1 }).map((key): QueueKey => ({ kind: 'service', key })),
      fc.string({ minLength: 1 }).map((name): QueueKey => ({ kind: 'pool', name })),
    );
    fc.assert(fc.property(key, (k) => {
      expect(decodeKey(encodeKey(k))).toEqual(k);
    }));
    fc.assert(fc.property(key, key, (a, b) => (encodeKey(a) === encodeKey(b)) === (JSON.stringify(a) === JSON.stringify(b))));
  });
});
