import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { ApiError, DEFAULT_BACKOFF, Resources, type InformerEvent } from '@metallb-ts/k8s-watch';
import { FakeApiClient } from '@metallb-ts/k8s-watch/testing';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT_MAX_MS, InformerObserver, ThrottledLog } from './informers.js';
import { createLogger } from './log.js';
import { AppMetrics } from './metrics.js';

function setup(opts: { reconnectMaxMs?: number } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info', clock, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const metrics = new AppMetrics();
  const observer = new InformerObserver({ log, metrics, clock, ...opts });
  return { clock, lines, metrics, observer };
}

const failure = (i: number): InformerEvent => ({ kind: 'error', error: new Error(`connect ECONNREFUSED #${i}`), message: `connect ECONNREFUSED #${i}`, during: 'watch', retryInMs: 1000 });

describe('ThrottledLog', () => {
  it('per key: burst lines per window, then one line saying how many were held back', () => {
    const clock = new ManualClock(0);
    const lines: Record<string, unknown>[] = [];
    const t = new ThrottledLog({ log: createLogger({ level: 'all', clock, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }), clock, burst: 2, windowMs: 10_000 });
    const logged = Array.from({ length: 10 }, (_, i) => t.warn('api', 'write failed', { i }));
    expect(logged).toEqual([true, true, false, false, false, false, false, false, false, false]);
    expect(t.warn('other', 'another key')).toBe(true);
    clock.advance(10_000);
    expect(t.warn('api', 'write failed', { i: 10 })).toBe(true);
    expect(lines.map((l) => [l.level, l.msg, l.i, l.suppressed])).toEqual([
      ['warn', 'write failed', 0, undefined],
      ['warn', 'write failed', 1, undefined],
      ['warn', 'another key', undefined, undefined],
      ['warn', 'write failed', 10, 8],
    ]);
  });
});

describe('InformerObserver (issue 15 §5)', () => {
  it('an outage is a few warn lines with the error text, not a flood; every failure is counted', async () => {
    const { clock, lines, metrics, observer } = setup();
    for (let i = 0; i < 60; i++) {
      observer.observe('services', failure(i));
      clock.advance(1000);
    }
    observer.observe('services', { kind: 'expired', resourceVersion: '7', message: 'too old resource version', retryInMs: 0 });
    const warns = lines.filter((l) => l.level === 'warn');
    // 3 per minute for errors (the 61st second starts a new window: a 4th line with the count), 1 relist.
    expect(warns.filter((l) => l.msg === 'informer watch failed, retrying')).toHaveLength(3);
    expect(warns[0]).toMatchObject({ resource: 'services', error: 'connect ECONNREFUSED #0', during: 'watch', retryInMs: 1000 });
    expect(warns.find((l) => l.msg === 'informer watch expired, relisting')).toMatchObject({ resource: 'services', error: 'too old resource version' });
    observer.observe('services', failure(60));
    expect(lines.at(-1)).toMatchObject({ level: 'warn', error: 'connect ECONNREFUSED #60', suppressed: 57 });
    const text = await metrics.text();
    expect(text).toContain('metallb_ts_informer_errors_total{resource="services"} 61');
    expect(text).toContain('metallb_ts_informer_relists_total{resource="services"} 1');
  });

  it('object and handler errors are counted and said at warn; sync at info, the rest at debug', async () => {
    const { lines, metrics, observer } = setup();
    observer.observe('services', { kind: 'object-error', error: new Error('spec.ports is not an array'), message: 'spec.ports is not an array', key: 'ns/bad', resourceVersion: '5', outcome: 'skipped' });
    observer.observe('services', { kind: 'handler-error', error: new Error('boom'), message: 'boom', key: 'ns/x', resourceVersion: '6', handler: 'add' });
    observer.observe('services', { kind: 'synced' });
    observer.observe('services', { kind: 'watch-started', resourceVersion: '6' });
    expect(lines.map((l) => [l.level, l.key ?? l.msg])).toEqual([
      ['warn', 'ns/bad'],
      ['warn', 'ns/x'],
      ['info', 'informer synced'],
    ]);
    const text = await metrics.text();
    expect(text).toContain('metallb_ts_informer_object_errors_total{resource="services"} 1');
    expect(text).toContain('metallb_ts_informer_handler_errors_total{resource="services"} 1');
  });

  it('builds informers that reconnect within the cap, are observed, and report poisoned objects on scrape', async () => {
    const { clock, lines, metrics, observer } = setup({ reconnectMaxMs: 2000 });
    expect(observer.backoff).toEqual({ ...DEFAULT_BACKOFF, maxMs: 2000 });
    expect(setup().observer.backoff.maxMs).toBe(DEFAULT_RECONNECT_MAX_MS);
    const client = new FakeApiClient(clock);
    client.upsert(Resources.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: 'ns', resourceVersion: '1' }, spec: { ports: 'x' } });
    const errors = Array.from({ length: 8 }, () => ({ op: 'list' as const, error: new ApiError(0, 'Transport', 'connect ECONNREFUSED') }));
    client.inject(...errors);
    const seen: string[] = [];
    const inf = observer.informer({
      client,
      clock,
      rng: new SeededRng(1),
      resource: Resources.services,
      onEvent: (e) => seen.push(e.kind),
      transform: (o) => {
        if (!Array.isArray(o.spec?.ports)) throw new Error('spec.ports is not an array');
        return o;
      },
    });
    inf.start();
    // 8 failures: with a 2 s cap (+20 % jitter) the list succeeds within 8 × 2.4 s.
    for (let i = 0; i < 40 && !inf.hasSynced(); i++) await clock.advanceAsync(500);
    expect(inf.hasSynced()).toBe(true);
    expect(seen.filter((k) => k === 'error')).toHaveLength(8);
    const text = await metrics.text();
    expect(text).toContain('metallb_ts_informer_errors_total{resource="services"} 8');
    expect(text).toContain('metallb_ts_informer_poisoned_objects{resource="services"} 1');
    expect(lines.some((l) => l.msg === 'informer skipped an object it cannot read' && l.key === 'ns/bad')).toBe(true);
    await inf.stop();
  });
});
