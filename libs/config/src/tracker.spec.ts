/** ConfigTracker: a rejected configuration never replaces the last valid one. */
import { describe, expect, it } from 'vitest';
import { IPAddress } from '@metallb-ts/netaddr';
import { announcedOutsidePools, ConfigCommitError, ConfigTracker, vetoDroppedAnnouncements, type AnnouncedService } from './index.js';
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

describe('ConfigTracker: veto and commit (MetalLB §2.5)', () => {
  const wide = [pool('p', { addresses: ['198.51.100.0/24'] })];
  const shrunk = [pool('p', { addresses: ['198.51.100.0/28'] })];
  const moved = [pool('q', { addresses: ['203.0.113.0/24'] })];
  const web = (ip: string): AnnouncedService => ({ service: 'default/web', ips: [IPAddress.parse(ip)] });

  describe('announcedOutsidePools', () => {
    const cfg = (objs: unknown[]) => {
      const t = new ConfigTracker();
      const r = t.reload(objs);
      if (r.kind !== 'applied') throw new Error(r.kind);
      return r.config;
    };
    it.each([
      ['address still in its pool', wide, ['198.51.100.10'], 0],
      ['pool shrunk around the address', shrunk, ['198.51.100.10'], 0],
      ['pool shrunk, address outside', shrunk, ['198.51.100.200'], 1],
      ['pool removed, address in another pool now', [...moved, ...wide], ['198.51.100.200'], 0],
      ['pool removed', moved, ['198.51.100.200'], 1],
      ['IPv6 address, no IPv6 pool', wide, ['2001:db8::1'], 1],
      ['IPv6 address in a range entry', [pool('v6', { addresses: ['2001:db8::1-2001:db8::3'] })], ['2001:db8::2'], 0],
      ['dual-stack, one family lost', wide, ['198.51.100.1', '2001:db8::1'], 1],
      ['nothing announced', moved, [], 0],
    ] as const)('%s', (_name, objs, ips, vetoes) => {
      const announced = ips.length ? [{ service: 'default/web', ips: ips.map((i) => IPAddress.parse(i)) }] : [];
      const v = announcedOutsidePools(cfg([...objs]), announced);
      expect(v).toHaveLength(vetoes);
      for (const x of v) {
        expect(x).toMatchObject({ reason: 'drops-announced-ip', retry: true });
        expect(x.message).toContain('default/web');
      }
    });
    it('names only the lost addresses, one veto per Service', () => {
      const v = announcedOutsidePools(cfg(shrunk), [
        { service: 'a/x', ips: [IPAddress.parse('198.51.100.1'), IPAddress.parse('198.51.100.99')] },
        { service: 'a/y', ips: [IPAddress.parse('198.51.100.98')] },
        { service: 'a/z', ips: [IPAddress.parse('198.51.100.2')] },
      ]);
      expect(v.map((x) => x.message.split(' ').slice(1, 2)[0])).toEqual(['a/x', 'a/y']);
      expect(v[0]!.message).toContain('198.51.100.99');
      expect(v[0]!.message).not.toContain('198.51.100.1,');
    });
  });

  it('propose changes nothing until commit', () => {
    const t = new ConfigTracker();
    t.reload(wide);
    const before = t.current;
    const p = t.propose(moved);
    expect(p).toMatchObject({ kind: 'accept', changed: true, reasons: [], previous: before });
    expect(t.current).toBe(before);
    const c = t.commit();
    expect(c.kind).toBe('applied');
    expect(c.kind === 'applied' && c.previous).toBe(before);
    expect(t.current?.pools.has('q')).toBe(true);
  });

  it('an identical configuration is accepted unchanged without asking the veto', () => {
    let asked = 0;
    const t = new ConfigTracker({}, { veto: () => (asked++, [{ reason: 'handler-refused', message: 'no', retry: false }]) });
    expect(t.propose(wide).kind).toBe('veto');
    expect(asked).toBe(1);
    const t2 = new ConfigTracker();
    t2.reload(wide);
    const p = t2.propose([...wide], () => (asked++, []));
    expect(p).toMatchObject({ kind: 'accept', changed: false });
    expect(asked).toBe(1);
    expect(t2.commit().kind).toBe('unchanged');
  });

  it('a vetoed configuration keeps the old one, is stale, and is retried until the veto lifts', () => {
    let announced = [web('198.51.100.200')];
    const t = new ConfigTracker({}, { veto: vetoDroppedAnnouncements(() => announced) });
    expect(t.reload(wide).kind).toBe('applied');
    const before = t.current;
    const p1 = t.propose(moved);
    expect(p1).toMatchObject({ kind: 'veto', retry: true, attempt: 1, kept: before });
    expect(p1.kind === 'veto' && p1.reasons.map((r) => r.reason)).toEqual(['drops-announced-ip']);
    expect(t.current).toBe(before);
    expect(t.stale).toBe(true);
    expect(t.retryPending).toBe(true);
    expect(() => t.commit()).toThrow(ConfigCommitError);
    expect(t.retry()).toMatchObject({ kind: 'veto', attempt: 2 });
    // the controller moved the Service into the new pool: the retry passes
    announced = [web('203.0.113.7')];
    const p3 = t.retry();
    expect(p3).toMatchObject({ kind: 'accept', changed: true });
    expect(t.commit().kind).toBe('applied');
    expect(t.stale).toBe(false);
    expect(t.retryPending).toBe(false);
    expect(t.retry()).toBeUndefined();
    expect(t.current?.pools.has('q')).toBe(true);
  });

  it.each([
    ['a non-retrying veto waits for the next change', [{ reason: 'handler-refused', message: 'BFD profiles in native mode', retry: false }], false],
    ['mixed reasons do not retry', [
      { reason: 'drops-announced-ip', message: 'x', retry: true },
      { reason: 'handler-refused', message: 'y', retry: false },
    ], false],
    ['retrying reasons retry', [{ reason: 'drops-announced-ip', message: 'x', retry: true }], true],
  ] as const)('%s', (_n, reasons, retry) => {
    const t = new ConfigTracker({}, { veto: () => reasons });
    const r = t.reload(wide);
    expect(r).toMatchObject({ kind: 'vetoed', retry, attempt: retry ? 1 : 0, kept: undefined });
    expect(t.retryPending).toBe(retry);
    expect(t.current).toBeUndefined();
  });

  it('a handler refusal after accept keeps the old configuration (refuse)', () => {
    const t = new ConfigTracker();
    t.reload(wide);
    const before = t.current;
    expect(t.propose(moved).kind).toBe('accept');
    const r = t.refuse([{ reason: 'handler-refused', message: 'BGP session to 198.51.100.1 cannot be created', retry: false }]);
    expect(r).toMatchObject({ kind: 'vetoed', retry: false, kept: before });
    expect(t.current).toBe(before);
    expect(t.stale).toBe(true);
    expect(() => t.commit()).toThrow(/propose\(\) first/);
    expect(() => t.refuse([])).toThrow(ConfigCommitError);
  });

  it('a retrying refusal is retried from its objects', () => {
    const t = new ConfigTracker();
    t.reload(wide);
    t.propose(moved);
    t.refuse([{ reason: 'drops-announced-ip', message: 'x', retry: true }]);
    expect(t.retryPending).toBe(true);
    expect(t.retry()).toMatchObject({ kind: 'accept', changed: true });
    expect(t.commit().kind).toBe('applied');
  });

  it('an invalid or pending configuration cancels a pending retry (MetalLB does not retry those)', () => {
    const t = new ConfigTracker({}, { veto: () => [{ reason: 'drops-announced-ip', message: 'x', retry: true }] });
    t.reload(wide);
    expect(t.retryPending).toBe(true);
    expect(t.propose([pool('p', { addresses: ['198.51.100.0/33'] })]).kind).toBe('rejected');
    expect(t.retryPending).toBe(false);
    expect(t.stale).toBe(true);
  });

  it('a new proposal replaces an accepted one not yet committed; the per-call veto overrides the option', () => {
    const t = new ConfigTracker({}, { veto: () => [{ reason: 'handler-refused', message: 'x', retry: false }] });
    expect(t.propose(wide, () => []).kind).toBe('accept');
    expect(t.propose(moved, () => []).kind).toBe('accept');
    expect(t.commit()).toMatchObject({ kind: 'applied' });
    expect(t.current?.pools.has('q')).toBe(true);
    expect(t.current?.pools.has('p')).toBe(false);
  });

  it('without a veto, reload behaves as before (the controller path)', () => {
    const t = new ConfigTracker();
    expect(t.reload(wide).kind).toBe('applied');
    expect(t.reload(moved).kind).toBe('applied');
    expect(t.reload(moved).kind).toBe('unchanged');
    expect(t.reload([pool('p', { addresses: ['nope'] })]).kind).toBe('rejected');
    expect(t.retryPending).toBe(false);
  });
});
