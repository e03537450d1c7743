/** ConfigTracker: a rejected configuration never replaces the last valid one. */
import { describe, expect, it } from 'vitest';
import { ConfigTracker } from './index.js';
import { peer, pool, secret } from '../test/fixtures.js';

describe('ConfigTracker', () => {
  const good = [pool('p', { addresses: ['198.51.100.0/24'] })];
  it('applies, then reports unchanged for an identical configuration', () => {
    const t = new ConfigTracker();
    expect(t.current).toBeUndefined();
    const a = t.reload(good);
    expect(a.kind).toBe('applied');
    expect(t.current?.pools.has('p')).toBe(true);
    const b = t.reload([...good]);
    expect(b.kind).toBe('unchanged');
    expect(t.stale).toBe(false);
  });
  it('keeps the last valid configuration when the new one is invalid, and marks it stale', () => {
    const t = new ConfigTracker();
    t.reload(good);
    const before = t.current;
    const r = t.reload([pool('p', { addresses: ['198.51.100.0/33'] })]);
    expect(r.kind).toBe('rejected');
    expect(r.kind === 'rejected' && r.kept).toBe(before);
    expect(t.current).toBe(before);
    expect(t.stale).toBe(true);
    const c = t.reload([pool('p', { addresses: ['203.0.113.0/24'] })]);
    expect(c.kind).toBe('applied');
    expect(c.kind === 'applied' && c.previous).toBe(before);
    expect(t.stale).toBe(false);
  });
  it('reports pending when only transient problems remain, then applies once the Secret appears', () => {
    const t = new ConfigTracker({ bgpType: 'native' });
    const objs = [...good, peer('x', { passwordSecret: { name: 's' } })];
    expect(t.reload(objs).kind).toBe('pending');
    expect(t.current).toBeUndefined();
    expect(t.reload([...objs, secret('s', 'kubernetes.io/basic-auth', { password: 'pw' })]).kind).toBe('applied');
    expect(t.current?.peers.get('x')?.password).toBe('pw');
  });
});
