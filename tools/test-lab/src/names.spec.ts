import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkIfName, LabNameError, namespaceName, ownerStateFromStat, parseNamespaceName, parseNetnsList, parsePids, reapDecision, START_TIME_SLACK_MS } from './names.js';

const tag = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const suffix = fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/);
const pid = fc.integer({ min: 1, max: 4_194_304 });

describe('namespace names', () => {
  it('are tl<tag>-<pid>-<suffix>', () => {
    expect(namespaceName('bgp', 1234, 'r1')).toBe('tlbgp-1234-r1');
  });
  it('parse back to their parts (property)', () => {
    fc.assert(fc.property(tag, pid, suffix, (t, p, s) => {
      expect(parseNamespaceName(namespaceName(t, p, s))).toEqual({ tag: t, pid: p, suffix: s });
    }));
  });
  it('two suites or two processes never get the same name (property)', () => {
    fc.assert(fc.property(tag, tag, pid, pid, suffix, (t1, t2, p1, p2, s) => {
      fc.pre(t1 !== t2 || p1 !== p2);
      expect(namespaceName(t1, p1, s)).not.toBe(namespaceName(t2, p2, s));
    }));
  });
  it.each(['', 'BGP', 'a-b', 'thirteenchars'])('refuse tag %j with a message saying what is valid', (t) => {
    expect(() => namespaceName(t, 1, 'x')).toThrow(LabNameError);
    expect(() => namespaceName(t, 1, 'x')).toThrow(/lower-case letters or digits/);
  });
  it.each(['', 'a b', 'x/y', 'a'.repeat(41)])('refuse suffix %j', (s) => {
    expect(() => namespaceName('t', 1, s)).toThrow(/invalid suffix/);
  });
  it('refuse a non-positive pid', () => {
    expect(() => namespaceName('t', 0, 'x')).toThrow(RangeError);
  });
  it.each(['mtsarp123r1', 'tl-1-x', 'tlbgp-abc-r1', 'tlbgp-12', 'default', 'tlBGP-1-x', 'tlbgp-0-x'])('%j is not a lab name', (n) => {
    expect(parseNamespaceName(n)).toBeUndefined();
  });
  it('interface names follow IFNAMSIZ', () => {
    expect(checkIfName('eth0')).toBe('eth0');
    expect(checkIfName('a'.repeat(15))).toBe('a'.repeat(15));
    expect(() => checkIfName('a'.repeat(16))).toThrow(/IFNAMSIZ/);
    expect(() => checkIfName('')).toThrow(LabNameError);
  });
});

describe('reaping decisions', () => {
  const name = 'tlarp-4242-r1';
  const rec = { pid: 4242, startedMs: 1_000_000 };
  it.each([
    ['not a lab name', 'mtsarp4242r1', { kind: 'gone' } as const, undefined, 'keep', 'not-a-lab-name'],
    ['own namespace', 'tlarp-7-r1', { kind: 'gone' } as const, undefined, 'keep', 'own-process'],
    ['owner gone', name, { kind: 'gone' } as const, undefined, 'reap', 'owner-gone'],
    ['owner a zombie', name, { kind: 'zombie' } as const, rec, 'reap', 'owner-zombie'],
    ['owner running, no record', name, { kind: 'running', startedMs: 5 } as const, undefined, 'keep', 'owner-running'],
    ['owner running, same start', name, { kind: 'running', startedMs: 1_000_500 } as const, rec, 'keep', 'owner-running'],
    ['pid reused by a later process', name, { kind: 'running', startedMs: 1_000_000 + START_TIME_SLACK_MS + 1 } as const, rec, 'reap', 'pid-reused'],
    // regression: the wall clock was stepped by 5 s between the record and the check; the
    // boot-relative ticks are equal, so the owner is the same live process (it used to be reaped)
    ['clock stepped, same start ticks', name, { kind: 'running', startedMs: 1_005_000, startTicks: 777 } as const, { ...rec, startTicks: 777 }, 'keep', 'owner-running'],
    ['pid reused, different start ticks', name, { kind: 'running', startedMs: 1_000_000, startTicks: 778 } as const, { ...rec, startTicks: 777 }, 'reap', 'pid-reused'],
    ['record of another pid', name, { kind: 'running', startedMs: 9_999_999 } as const, { pid: 1, startedMs: 0 }, 'keep', 'owner-running'],
  ])('%s', (_t, n, owner, record, kind, reason) => {
    const d = reapDecision(n, 7, owner, record);
    expect(d.kind).toBe(kind);
    expect(d.reason).toBe(reason);
    if (d.kind === 'reap') expect(d.owner).toBe(4242);
  });
  it('never reaps a namespace whose owner is running without evidence of PID reuse (property)', () => {
    fc.assert(fc.property(tag, pid, suffix, fc.integer({ min: 0, max: 2 ** 40 }), (t, p, s, started) => {
      fc.pre(p !== 7);
      expect(reapDecision(namespaceName(t, p, s), 7, { kind: 'running', startedMs: started }).kind).toBe('keep');
      expect(reapDecision(namespaceName(t, p, s), 7, { kind: 'running', startedMs: started }, { pid: p, startedMs: started }).kind).toBe('keep');
    }));
  });
});

describe('/proc and ip output', () => {
  const boot = 1_700_000_000_000;
  it('reads state and start time from /proc/<pid>/stat, command names with spaces and parentheses included', () => {
    const stat = '4242 (node (vitest) 1) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10 18446744073709551615';
    expect(ownerStateFromStat(stat, boot)).toEqual({ kind: 'running', startedMs: boot + 123_450, startTicks: 12345 });
    expect(ownerStateFromStat(stat.replace(') S ', ') Z '), boot)).toEqual({ kind: 'zombie' });
    expect(ownerStateFromStat(undefined, boot)).toEqual({ kind: 'gone' });
    expect(ownerStateFromStat('garbage', boot)).toEqual({ kind: 'gone' });
  });
  it('parses `ip netns list` (with and without ids) and `ip netns pids`', () => {
    expect(parseNetnsList('tlbgp-1-a (id: 3)\ntlbgp-1-b\n\n')).toEqual(['tlbgp-1-a', 'tlbgp-1-b']);
    expect(parsePids('123\n456\n')).toEqual([123, 456]);
    expect(parsePids('')).toEqual([]);
  });
});
