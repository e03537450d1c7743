import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecorded, lockHolderIsAlive, parseStat, planExisting, readProcess, type PidRecord, type ProcessSnapshot, type RecordedState } from './pids.js';

const rec: PidRecord = { name: 'etcd', pid: 4242, startTime: '1000', argv: ['/c/etcd', '--name=kube-lab'] };
const snap = (over: Partial<ProcessSnapshot> = {}): ProcessSnapshot => ({ pid: 4242, state: 'S', startTime: '1000', cmdline: ['/c/etcd', '--name=kube-lab'], ...over });

describe('/proc/PID/stat', () => {
  it('reads state and start time after the last parenthesis (names may hold spaces and parentheses)', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 4)).join(' ');
    // fields: 3=state, 4.. numbers; field 22 is the 20th after state.
    const line = `123 (a) b (c) S ${rest}`;
    expect(parseStat(line)).toEqual({ state: 'S', startTime: String(22) });
    expect(parseStat('garbage')).toBeUndefined();
  });
  it('reads this very process', () => {
    const me = readProcess(process.pid);
    expect(me?.pid).toBe(process.pid);
    expect(me?.startTime).toMatch(/^\d+$/);
    expect(me?.cmdline.length).toBeGreaterThan(0);
    expect(readProcess(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('recorded PIDs', () => {
  it('running only when start time and command line match', () => {
    expect(classifyRecorded(rec, snap())).toBe('running');
    expect(classifyRecorded(rec, undefined)).toBe('gone');
    expect(classifyRecorded(rec, snap({ state: 'Z' }))).toBe('zombie');
    expect(classifyRecorded(rec, snap({ startTime: '2000' }))).toBe('reused');
    expect(classifyRecorded(rec, snap({ cmdline: ['/usr/bin/sleep', '100'] }))).toBe('reused');
    // Regression (CI, twice): a process in the middle of execve shows an empty command line with
    // state R; it is still ours, not a reused PID.
    expect(classifyRecorded(rec, snap({ cmdline: [] }))).toBe('running');
    expect(classifyRecorded(rec, snap({ cmdline: [], startTime: '2000' }))).toBe('reused');
    expect(classifyRecorded(rec, snap({ cmdline: [], state: 'Z' }))).toBe('zombie');
  });
  it('a real process that execs its program and exits is never taken for a reused PID', async () => {
    // Regression (CI, twice): the kernel shows an empty command line while a process execs and
    // while it exits; polling a freshly spawned `sh -c 'exec node …'` hits that window every time.
    // (The wrapper shows the same arguments under another argv[0], as `ip netns exec` does.)
    const seen = new Set<RecordedState>();
    for (let run = 0; run < 5; run++) {
      const child = spawn('sh', ['-c', 'exec "$0" "$@"', process.execPath, '-e', '0'], { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      const first = readProcess(child.pid ?? -1);
      if (!first) continue; // already gone: nothing to observe this run
      const r: PidRecord = { name: 'node', pid: first.pid, startTime: first.startTime, argv: [process.execPath, '-e', '0'] };
      let done = false;
      void exited.then(() => (done = true));
      while (!done) {
        const st = classifyRecorded(r, readProcess(r.pid));
        seen.add(st);
        if (st === 'gone') break;
        await new Promise((res) => setImmediate(res));
      }
      await exited;
    }
    expect(seen.has('running')).toBe(true);
    expect(seen.has('reused')).toBe(false);
  });
  it('a process still in its `ip netns exec` wrapper counts as ours', () => {
    expect(classifyRecorded(rec, snap({ cmdline: ['ip', 'netns', 'exec', 'lab-cp', '/c/etcd', '--name=kube-lab'] }))).toBe('running');
    expect(classifyRecorded(rec, snap({ cmdline: ['ip', 'netns', 'exec', 'lab-cp', '/c/other'] }))).toBe('reused');
  });
  it('a process started through a script or a wrapper (another argv[0], the same arguments) counts as ours', () => {
    expect(classifyRecorded(rec, snap({ cmdline: ['/bin/sh', '/c/etcd', '--name=kube-lab'] }))).toBe('running');
    expect(classifyRecorded(rec, snap({ cmdline: ['/real/etcd', '--name=kube-lab'] }))).toBe('running');
    expect(classifyRecorded(rec, snap({ cmdline: ['--name=kube-lab'] }))).toBe('reused');
    expect(classifyRecorded(rec, snap({ cmdline: ['/bin/sh', '/c/etcd', '--name=other'] }))).toBe('reused');
  });
  it('never calls a PID with another start time ours (property)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.constantFrom('R', 'S', 'D', 'Z', 'T'), (a, b, st) => {
        fc.pre(a !== b);
        return classifyRecorded({ ...rec, startTime: String(a) }, snap({ startTime: String(b), state: st })) === 'reused';
      }),
    );
  });
  it('build-lock holders: alive unless gone, a zombie, or a different process', () => {
    expect(lockHolderIsAlive({ pid: 1, startTime: '1000' }, snap())).toBe(true);
    expect(lockHolderIsAlive({ pid: 1 }, snap())).toBe(true);
    expect(lockHolderIsAlive({ pid: 1, startTime: '9' }, snap())).toBe(false);
    expect(lockHolderIsAlive({ pid: 1 }, snap({ state: 'Z' }))).toBe(false);
    expect(lockHolderIsAlive({ pid: 1 }, undefined)).toBe(false);
  });
});

describe('what up does with an existing DIR', () => {
  const roles = ['etcd', 'kube-apiserver', 'kube-controller-manager'];
  const recs = roles.map((name, i) => ({ ...rec, name, pid: 100 + i }));
  it('starts fresh when nothing is recorded or nothing runs', () => {
    expect(planExisting([], [], roles)).toEqual({ action: 'start' });
    expect(planExisting(recs, ['gone', 'zombie', 'reused'], roles)).toEqual({ action: 'start' });
  });
  it('reuses a complete running control plane', () => {
    expect(planExisting(recs, ['running', 'running', 'running'], roles)).toEqual({ action: 'reuse' });
  });
  it('stops the survivors of a partial one, and only the processes that are ours', () => {
    const p = planExisting(recs, ['running', 'gone', 'running'], roles);
    expect(p).toEqual({ action: 'restart', stop: [recs[0], recs[2]] });
  });
  it('never asks to stop a PID that is not running as ours (property)', () => {
    const state = fc.constantFrom<RecordedState>('running', 'gone', 'zombie', 'reused');
    fc.assert(
      fc.property(fc.array(state, { minLength: 3, maxLength: 3 }), (sts) => {
        const p = planExisting(recs, sts, roles);
        if (p.action !== 'restart') return true;
        return p.stop.every((r) => sts[recs.indexOf(r as (typeof recs)[number])] === 'running');
      }),
    );
  });
});
