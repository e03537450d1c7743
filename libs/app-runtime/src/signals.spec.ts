import { ManualClock } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, onShutdown, type ShutdownSignal, type SignalSource } from './signals.js';

class FakeSignals implements SignalSource {
  readonly listeners = new Map<ShutdownSignal, Set<() => void>>();
  once(s: ShutdownSignal, l: () => void) {
    const set = this.listeners.get(s) ?? new Set();
    set.add(l);
    this.listeners.set(s, set);
  }
  off(s: ShutdownSignal, l: () => void) {
    this.listeners.get(s)?.delete(l);
  }
  emit(s: ShutdownSignal) {
    const set = [...(this.listeners.get(s) ?? [])];
    this.listeners.get(s)?.clear();
    for (const l of set) l();
  }
  count() {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

describe('shutdown on signals', () => {
  it('runs the clean-up once on the first signal and reports clean (exit 0)', async () => {
    const source = new FakeSignals();
    const calls: string[] = [];
    const h = onShutdown({ source, clock: new ManualClock(), cleanup: async (s) => void calls.push(s) });
    expect(source.count()).toBe(2);
    source.emit('SIGTERM');
    source.emit('SIGINT');
    const o = await h.done;
    expect(o).toEqual({ kind: 'clean', signal: 'SIGTERM' });
    expect(exitCodeOf(o)).toBe(0);
    expect(calls).toEqual(['SIGTERM']);
    expect(source.count()).toBe(0);
  });
  it('a clean-up that outlives its bound is abandoned (exit 1)', async () => {
    const source = new FakeSignals();
    const clock = new ManualClock();
    const h = onShutdown({ source, clock, timeoutMs: 5000, cleanup: () => new Promise(() => {}) });
    source.emit('SIGINT');
    await clock.advanceAsync(4999);
    let settled = false;
    void h.done.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    const o = await h.done;
    expect(o).toEqual({ kind: 'timed-out', signal: 'SIGINT', afterMs: 5000 });
    expect(exitCodeOf(o)).toBe(1);
  });
  it('a failing clean-up is reported, not thrown', async () => {
    const source = new FakeSignals();
    const h = onShutdown({ source, clock: new ManualClock(), cleanup: async () => { throw new Error('lease release failed'); } });
    h.trigger('SIGTERM');
    const o = await h.done;
    expect(o.kind).toBe('failed');
    expect(o.kind === 'failed' && o.error.message).toBe('lease release failed');
  });
  it('dispose removes the listeners', () => {
    const source = new FakeSignals();
    const h = onShutdown({ source, clock: new ManualClock(), cleanup: async () => {} });
    h.dispose();
    expect(source.count()).toBe(0);
  });
});
