/**
 * The speaker's work loop (`Speaker.schedule`), driven as a whole Speaker on a fake API server,
 * a ManualClock and an in-memory link: a change on an idle speaker runs a pass at once (timer 0,
 * no debounce wait); changes during or within `debounceMs` of a pass are batched into one pass
 * `debounceMs` after the previous pass **ended**; a failed pass is retried after 500 ms.
 */
import { CORE_RESOURCES, createLogger } from '@metallb-ts/app-runtime';
import { MemorySegment, MemoryTransport } from '@metallb-ts/arp-responder/testing';
import { ManualClock } from '@metallb-ts/clock/testing';
import { FakeApiClient } from '@metallb-ts/k8s-watch/testing';
import { MacAddress } from '@metallb-ts/netaddr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseFlags, type SpeakerFlags } from './flags.js';
import { RETRY_MS, Speaker } from './speaker.js';

const DEBOUNCE = 50;

/** Lets the fake API server's watch streams and the informers' handlers run (no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

const stopped: Speaker[] = [];
afterEach(async () => {
  for (const s of stopped.splice(0)) await s.stop();
});

async function started() {
  const clock = new ManualClock();
  const client = new FakeApiClient(clock);
  client.upsert(CORE_RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  const flags = { ...(parseFlags(['--node-name', 'n1', '--namespace', 'metallb-system'], {}) as SpeakerFlags), interfacesExcludeFile: '' };
  const transport = new MemoryTransport('n1').addLink({ name: 'eth0', mac: MacAddress.parse('02:00:00:00:00:01'), segment: new MemorySegment(), addresses: ['198.51.100.11/24'] });
  const speaker = new Speaker({ client, flags, log: createLogger({ level: 'none' }), clock, debounceMs: DEBOUNCE, l2Transport: transport });
  stopped.push(speaker);
  const starting = speaker.start();
  await settle();
  await clock.advanceAsync(0);
  await starting;
  await clock.advanceAsync(1000); // whatever start-up scheduled has run: the speaker is idle
  // Every pass, stamped with the ManualClock's time (passes are synchronous: start = end).
  const passes: number[] = [];
  const target = speaker as unknown as { pass(): void };
  const original = target.pass.bind(speaker);
  const spy = vi.spyOn(target, 'pass').mockImplementation(() => {
    passes.push(clock.monotonic());
    original();
  });
  let n = 0;
  const service = () =>
    client.upsert(CORE_RESOURCES.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: `svc-${n++}` },
      spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
    });
  return { clock, speaker, passes, spy, original, service };
}

describe('speaker work loop: immediate when idle, batched within debounceMs', () => {
  it('(a) a change on an idle speaker runs a pass at once, with no debounce wait', async () => {
    const { clock, passes, service } = await started();
    await clock.advanceAsync(1000); // idle: the start-up pass is long past
    expect(passes).toEqual([]);
    service(); // a real watch event through the informer
    await settle();
    const t = clock.monotonic();
    await clock.advanceAsync(0); // the next macrotask, no time passes
    expect(passes).toEqual([t]);
    await clock.advanceAsync(1000);
    expect(passes).toEqual([t]); // nothing left to do
  });

  it('(b) a burst within the window costs 2 passes: one at once, one debounceMs after it', async () => {
    const { clock, passes, speaker, service } = await started();
    await clock.advanceAsync(1000);
    const t0 = clock.monotonic();
    for (let i = 0; i < 20; i++) {
      service();
      await settle();
      await clock.advanceAsync(2); // 20 events over 40 ms
    }
    await clock.advanceAsync(1000);
    expect(passes).toEqual([t0, t0 + DEBOUNCE]);
    expect(speaker.services.store.size()).toBe(20); // the second pass saw the whole burst
  });

  it('(b) a long stream of changes runs at most one pass per debounceMs, not one per change', async () => {
    const { clock, passes, speaker } = await started();
    await clock.advanceAsync(1000);
    const t0 = clock.monotonic();
    for (let i = 0; i < 50; i++) {
      speaker.schedule();
      await clock.advanceAsync(10); // 50 changes over 500 ms
    }
    await clock.advanceAsync(1000);
    expect(passes.length).toBe(11); // t0, t0+50, …, t0+500
    expect(passes).toEqual(Array.from({ length: 11 }, (_, i) => t0 + i * DEBOUNCE));
  });

  it('(c) a change during a running pass causes exactly one follow-up pass, debounceMs after that pass ended', async () => {
    const { clock, passes, speaker, spy, original } = await started();
    await clock.advanceAsync(1000);
    spy.mockImplementationOnce(() => {
      passes.push(clock.monotonic());
      speaker.schedule(); // e.g. a driver callback while the pass applies
      speaker.schedule();
      original();
    });
    const t0 = clock.monotonic();
    speaker.schedule();
    await clock.advanceAsync(0);
    expect(passes).toEqual([t0]);
    await clock.advanceAsync(DEBOUNCE - 1);
    expect(passes).toEqual([t0]); // batched, not at once
    await clock.advanceAsync(1);
    expect(passes).toEqual([t0, t0 + DEBOUNCE]); // not after the 500 ms retry either
    await clock.advanceAsync(1000);
    expect(passes).toEqual([t0, t0 + DEBOUNCE]);
  });

  it('(d) a failed pass is still retried after 500 ms, and changes meanwhile wait for the retry', async () => {
    const { clock, passes, speaker, spy } = await started();
    await clock.advanceAsync(1000);
    spy.mockImplementationOnce(() => {
      passes.push(clock.monotonic());
      throw new Error('boom');
    });
    const t0 = clock.monotonic();
    speaker.schedule();
    await clock.advanceAsync(0);
    expect(passes).toEqual([t0]);
    await clock.advanceAsync(100);
    speaker.schedule(); // taken along by the retry, not run at once
    await clock.advanceAsync(RETRY_MS - 101);
    expect(passes).toEqual([t0]);
    await clock.advanceAsync(1);
    expect(passes).toEqual([t0, t0 + RETRY_MS]);
    await clock.advanceAsync(1000);
    expect(passes).toEqual([t0, t0 + RETRY_MS]);
  });
});
