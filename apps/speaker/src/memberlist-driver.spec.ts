import { createLogger } from '@metallb-ts/app-runtime';
import { describe, expect, it } from 'vitest';
import { systemClock } from '@metallb-ts/clock';
import { libraryFields, MemberlistDriver, memberlistLogger } from './memberlist-driver.js';

describe('memberlist library log fields', () => {
  it('the peer named `node` by the library becomes `member`; other fields are kept', () => {
    expect(libraryFields({ node: 'n3', seqNo: 7 })).toEqual({ member: 'n3', seqNo: 7 });
    expect(libraryFields({ node: 'n3', member: 'n2' })).toEqual({ member: 'n2', memberNode: 'n3' });
    expect(libraryFields({ addr: '198.51.100.12:7946' })).toEqual({ addr: '198.51.100.12:7946' });
    expect(libraryFields(undefined)).toBeUndefined();
  });

  it("the speaker's own `node` field survives a library line (n2 does not print node=n3)", () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (l) => lines.push(l), fields: { node: 'n2' } }).child({ op: 'memberlist' });
    const ml = memberlistLogger(log);
    ml.warn('failed ping', { node: 'n3', reason: 'timeout' });
    ml.debug('probe', { node: 'n1' });
    ml.info('no fields');
    ml.error('x', { node: 'n3' });
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => [r['level'], r['node'], r['member']])).toEqual([
      ['warn', 'n2', 'n3'],
      ['debug', 'n2', 'n1'],
      ['info', 'n2', undefined],
      ['error', 'n2', 'n3'],
    ]);
    expect(recs[0]).toMatchObject({ op: 'memberlist', msg: 'failed ping', reason: 'timeout' });
  });
});

describe('pause (no usable Layer 2 interface) and resume, two drivers on loopback', () => {
  const PORT = 20_000 + (process.pid % 20_000);
  const until = async (what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> => {
    const end = performance.now() + timeoutMs;
    while (!ok()) {
      if (performance.now() > end) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('the other sees a leave at once; resume rejoins through the known pod IPs (join attempt done again)', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
    let changes = 0;
    const mk = (name: string, addr: string) =>
      new MemberlistDriver({ log: log.child({ node: name }), clock: systemClock, nodeName: name, bindAddr: addr, bindPort: PORT, preset: 'fast', deadOnRefused: true, secretKeyPath: '', configFile: '/nonexistent', onChange: () => changes++ });
    const a = mk('a', '127.0.0.1');
    const b = mk('b', '127.0.0.2');
    try {
      await a.start();
      await b.start();
      for (const d of [a, b]) d.setPodIPs(['127.0.0.1', '127.0.0.2']);
      await until('both list a and b', () => a.members().sort().join() === 'a,b' && b.members().sort().join() === 'a,b');

      const before = changes;
      const paused = a.pause();
      expect(a.paused).toBe(true);
      expect(a.members(), 'no members while paused: Layer 2 elects without us').toEqual([]);
      expect(changes).toBeGreaterThan(before);
      await paused;
      expect(b.members()).toEqual(['b']);
      const leave = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['node'] === 'b' && r['msg'] === 'memberlist event' && r['member'] === 'a').at(-1);
      expect(leave, 'b saw a leave, not a failure').toMatchObject({ event: 'leave', reason: 'left-message' });
      await a.pause(); // idempotent

      const resumed = a.resume();
      expect(a.paused).toBe(false);
      await resumed;
      expect(a.joinedOnce).toBe(true);
      await until('a is back on both', () => a.members().sort().join() === 'a,b' && b.members().sort().join() === 'a,b');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 15_000);

  // Regression (speaker int suite under load): a speaker that tried to join the others before they
  // listened waited a whole minute (REJOIN_INTERVAL_MS) for its next attempt.
  it('a join that missed a speaker not listening yet is retried with backoff, long before the minute', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const mk = (name: string, addr: string) =>
      new MemberlistDriver({ log: log.child({ node: name }), clock: systemClock, nodeName: name, bindAddr: addr, bindPort: PORT + 1, preset: 'fast', deadOnRefused: true, secretKeyPath: '', configFile: '/nonexistent', onChange: () => {} });
    const a = mk('a', '127.0.0.1');
    const b = mk('b', '127.0.0.2');
    try {
      await a.start();
      a.setPodIPs(['127.0.0.1', '127.0.0.2']); // b is not listening yet
      await until('a tried and failed', () => a.joinedOnce);
      expect(a.members()).toEqual(['a']);
      await b.start(); // b knows nobody: only a's retry can bring them together
      await until('a retried and both list a and b', () => a.members().sort().join() === 'a,b' && b.members().sort().join() === 'a,b', 10_000);
      const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['node'] === 'a');
      expect(recs.find((r) => String(r['msg']).startsWith('memberlist join failed; retrying'))).toMatchObject({ level: 'warn', retryInMs: 1000, missing: ['127.0.0.2'] });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 20_000);
});
