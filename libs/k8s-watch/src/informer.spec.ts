import fc from 'fast-check';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { byServiceName, decideUnparseable } from './cache.js';
import { Informer, type InformerEvent } from './informer.js';
import { FakeApiClient } from './testing/fake-api-client.js';
import { ApiError, Resources, type KubeObject } from './types.js';

const settle = async (n = 8) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const svc = (name: string, labels: Record<string, string> = {}, ns = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec: {} });
const S = Resources.services;

/** An informer over a fake with a log of handler calls, as `add:ns/name@rv`. */
function setup(opts: { inactivityTimeoutMs?: number; pageSize?: number } = {}) {
  const clock = new ManualClock();
  const fake = new FakeApiClient(clock);
  const log: string[] = [];
  const events: InformerEvent[] = [];
  const inf = new Informer<KubeObject>({ client: fake, resource: S, clock, rng: new SeededRng(7), onEvent: (e) => events.push(e), indexers: { service: byServiceName }, ...opts });
  const id = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`;
  inf.addEventHandler({
    onAdd: (o) => log.push(`add:${id(o)}`),
    onUpdate: (a, b) => log.push(`update:${id(a)}->${b.metadata.resourceVersion}`),
    onDelete: (o, i) => log.push(`delete:${id(o)}${i.finalStateUnknown ? ':unknown' : ''}`),
  });
  const watches = () => fake.calls.filter((c) => c.op === 'watch');
  const lists = () => fake.calls.filter((c) => c.op === 'list');
  return { clock, fake, log, events, inf, watches, lists };
}

describe('Informer: list and watch', () => {
  it('lists, syncs, then watches from the list resourceVersion with bookmarks', async () => {
    const { fake, inf, log, watches, lists } = setup();
    fake.upsert(S, svc('a'));
    fake.upsert(S, svc('b'));
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(inf.hasSynced()).toBe(true);
    expect(log).toEqual(['add:default/a@1', 'add:default/b@2']);
    expect(lists()).toHaveLength(1);
    expect(watches()[0]).toMatchObject({ resourceVersion: '2', options: { allowWatchBookmarks: true } });
    fake.upsert(S, svc('c'));
    fake.upsert(S, { ...svc('a'), spec: { type: 'LoadBalancer' } });
    fake.remove(S, 'default', 'b');
    await settle();
    expect(log.slice(2)).toEqual(['add:default/c@3', 'update:default/a@1->4', 'delete:default/b@5']);
    expect(inf.store.keys().sort()).toEqual(['default/a', 'default/c']);
    expect(inf.lastResourceVersion()).toBe('5');
    await inf.stop();
  });

  it('applies transform to listed and watched objects before caching them', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const seen: KubeObject[] = [];
    const inf = new Informer<KubeObject>({
      client: fake,
      resource: S,
      clock,
      rng: new SeededRng(7),
      transform: (o) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } }),
    });
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_a, b) => seen.push(b) });
    fake.upsert(S, { ...svc('a'), metadata: { ...svc('a').metadata, managedFields: [{ manager: 'x' }] } });
    inf.start();
    await inf.waitForSync();
    fake.upsert(S, { ...svc('b'), metadata: { ...svc('b').metadata, managedFields: [{ manager: 'y' }] } });
    await settle();
    expect(seen.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(seen.every((o) => o.metadata.managedFields === undefined)).toBe(true);
    expect(inf.store.list().every((o) => o.metadata.managedFields === undefined)).toBe(true);
    await inf.stop();
  });

  it('ignores duplicate and out-of-order events', async () => {
    const { fake, inf, log, events } = setup();
    const a = fake.upsert(S, svc('a'));
    inf.start();
    await inf.waitForSync();
    await settle();
    const a2 = fake.upsert(S, { ...a, spec: { x: 1 } });
    await settle();
    fake.pushRaw(S, { type: 'MODIFIED', object: a2 }); // duplicate
    fake.pushRaw(S, { type: 'MODIFIED', object: a }); // older: out of order
    fake.pushRaw(S, { type: 'DELETED', object: { ...a, metadata: { ...a.metadata, name: 'ghost' } } }); // never seen, and old
    await settle();
    expect(log).toEqual(['add:default/a@1', 'update:default/a@1->2']);
    expect(events.filter((e) => e.kind === 'ignored').map((e) => (e as { reason: string }).reason)).toEqual(['duplicate', 'stale', 'stale']);
    expect(inf.store.get('default/a')!.metadata.resourceVersion).toBe('2');
    await inf.stop();
  });

  it('advances its resourceVersion on bookmarks', async () => {
    const { fake, inf, watches } = setup();
    inf.start();
    await inf.waitForSync();
    await settle();
    fake.pushRaw(S, { type: 'BOOKMARK', object: { metadata: { name: '', resourceVersion: '42' } } });
    await settle();
    expect(inf.lastResourceVersion()).toBe('42');
    fake.closeWatches();
    await settle();
    expect(watches().at(-1)!.resourceVersion).toBe('42');
    await inf.stop();
  });

  it('pages through a long list and restarts it when the continue token expires', async () => {
    const { fake, inf, lists, log } = setup({ pageSize: 2 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) fake.upsert(S, svc(n));
    fake.inject({ op: 'list' }, { op: 'list', error: new ApiError(410, 'Expired', 'continue expired') });
    inf.start();
    await inf.waitForSync();
    expect(lists().map((c) => (c.options as { continue?: string }).continue ?? '-')).toEqual(['-', '2', '-', '2', '4']);
    expect(log).toHaveLength(5);
    await inf.stop();
  });

  it('transforms each list page as it arrives (the raw objects of earlier pages are not held), and counts a poisoned item once across a restarted list', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const events: InformerEvent[] = [];
    const seen: string[] = [];
    const inf = new Informer<KubeObject>({
      client: fake,
      resource: S,
      clock,
      rng: new SeededRng(7),
      pageSize: 2,
      onEvent: (e) => events.push(e),
      transform: (o) => {
        // Records how many list calls had been made when each object was transformed.
        seen.push(`${o.metadata.name}@${fake.calls.filter((c) => c.op === 'list').length}`);
        if (o.metadata.name === 'b') throw new Error('bad b');
        return o;
      },
    });
    for (const n of ['a', 'b', 'c', 'd', 'e']) fake.upsert(S, svc(n));
    fake.inject({ op: 'list' }, { op: 'list', error: new ApiError(410, 'Expired', 'continue expired') });
    inf.start();
    await inf.waitForSync();
    // First attempt: page 1 (a, b) is transformed right after list call 1, before call 2 fails.
    // The restart: a, b after call 3, c, d after call 4, e after call 5.
    expect(seen).toEqual(['a@1', 'b@1', 'a@3', 'b@3', 'c@4', 'd@4', 'e@5']);
    expect(inf.store.keys().sort()).toEqual(['default/a', 'default/c', 'default/d', 'default/e']);
    expect(events.filter((e) => e.kind === 'object-error')).toHaveLength(1);
    expect(events.find((e) => e.kind === 'listed')).toMatchObject({ count: 4, skipped: 1 });
    expect(inf.stats()).toMatchObject({ objectErrors: 1, poisoned: 1 });
    await inf.stop();
  });

  it('serves indexes (namespace, label, custom)', async () => {
    const { fake, inf } = setup();
    fake.upsert(S, svc('a', { app: 'x' }));
    fake.upsert(S, svc('b', { app: 'x' }, 'other'));
    inf.start();
    await inf.waitForSync();
    expect(inf.store.byNamespace('other').map((o) => o.metadata.name)).toEqual(['b']);
    expect(inf.store.byLabels({ app: 'x' })).toHaveLength(2);
    const snap = inf.snapshot();
    fake.upsert(S, svc('c', { app: 'x' }));
    await settle();
    expect(inf.store.byLabels({ app: 'x' })).toHaveLength(3);
    expect(snap.byLabels({ app: 'x' })).toHaveLength(2);
    expect(snap.byIndex('service', 'x')).toEqual([]);
    await inf.stop();
  });
});

describe('Informer: resync', () => {
  it('calls onUpdate(obj, obj) for every cached object each resync period', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    fake.upsert(S, svc('a'));
    fake.upsert(S, svc('b'));
    const inf = new Informer<KubeObject>({ client: fake, resource: S, clock, rng: new SeededRng(1), resyncMs: 30_000 });
    const seen: string[] = [];
    inf.addEventHandler({ onUpdate: (old, o) => seen.push(`${o.metadata.name}:${old === o}`) });
    inf.start();
    await inf.waitForSync();
    await clock.advanceAsync(29_999);
    expect(seen).toEqual([]);
    await clock.advanceAsync(1);
    expect(seen.sort()).toEqual(['a:true', 'b:true']);
    await inf.stop();
    await clock.advanceAsync(60_000);
    expect(seen).toHaveLength(2);
  });
});

describe('Informer: recovery', () => {
  it('resumes a watch the server closed from the last resourceVersion, without relisting', async () => {
    const { fake, inf, log, watches, lists } = setup();
    fake.upsert(S, svc('a'));
    inf.start();
    await inf.waitForSync();
    await settle();
    fake.upsert(S, svc('b'));
    await settle();
    fake.closeWatches();
    fake.upsert(S, svc('c')); // happens while no watch is open
    await settle();
    expect(lists()).toHaveLength(1);
    expect(watches().map((w) => w.resourceVersion)).toEqual(['1', '2']);
    expect(log).toEqual(['add:default/a@1', 'add:default/b@2', 'add:default/c@3']);
    await inf.stop();
  });

  it('relists on a 410 ERROR event and synthesises deletes for vanished objects', async () => {
    const { fake, inf, log, lists, clock } = setup();
    fake.upsert(S, svc('a'));
    fake.upsert(S, svc('b'));
    inf.start();
    await inf.waitForSync();
    await settle();
    fake.closeWatches();
    fake.silentRemove(S, 'default', 'b'); // no event; history compacted → next watch gets 410
    fake.upsert(S, svc('c'));
    await settle();
    await clock.advanceAsync(1200); // the closed watch delivered nothing: one back-off step first
    await settle();
    expect(lists()).toHaveLength(2);
    expect(log).toEqual(['add:default/a@1', 'add:default/b@2', 'add:default/c@4', 'delete:default/b@2:unknown']);
    await inf.stop();
  });

  it('relists on an HTTP 410 from the watch', async () => {
    const { fake, inf, lists } = setup();
    fake.inject({ op: 'watch', error: new ApiError(410, 'Expired', 'gone') });
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(lists()).toHaveLength(2);
    await inf.stop();
  });

  it('backs off after a 500 and resumes the watch (no relist, no lost event)', async () => {
    const { fake, inf, clock, watches, lists, log, events } = setup();
    fake.upsert(S, svc('a'));
    fake.inject({ op: 'watch', error: new ApiError(500, 'InternalError', 'etcd is sad') });
    inf.start();
    await inf.waitForSync();
    await settle();
    fake.upsert(S, svc('b')); // while backing off
    const err = events.find((e) => e.kind === 'error') as { retryInMs: number };
    expect(err.retryInMs).toBeGreaterThanOrEqual(800);
    expect(err.retryInMs).toBeLessThanOrEqual(1200);
    await clock.advanceAsync(err.retryInMs - 1);
    await settle();
    expect(watches()).toHaveLength(1);
    await clock.advanceAsync(1);
    await settle();
    expect(watches().map((w) => w.resourceVersion)).toEqual(['1', '1']);
    expect(lists()).toHaveLength(1);
    expect(log).toEqual(['add:default/a@1', 'add:default/b@2']);
    await inf.stop();
  });

  it('backs off exponentially (capped at 30 s) while the list keeps failing, then syncs', async () => {
    const { fake, inf, clock, events } = setup();
    for (let i = 0; i < 8; i++) fake.inject({ op: 'list', error: new ApiError(0, 'Transport', 'connection refused') });
    inf.start();
    for (let i = 0; i < 8; i++) {
      await settle();
      await clock.advanceAsync(40_000);
    }
    await settle();
    const delays = events.filter((e) => e.kind === 'error' && e.error.message === 'connection refused').map((e) => (e as { retryInMs: number }).retryInMs);
    expect(delays).toHaveLength(8);
    const bases = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i]! * 0.8);
      expect(d).toBeLessThanOrEqual(Math.min(30_000, bases[i]! * 1.2));
    });
    expect(inf.hasSynced()).toBe(true);
    await inf.stop();
  });

  it('recovers from a broken stream and from slow responses', async () => {
    const { fake, inf, clock, log } = setup();
    fake.inject({ op: 'list', delayMs: 5000 });
    inf.start();
    await settle();
    await clock.advanceAsync(4999);
    expect(inf.hasSynced()).toBe(false);
    await clock.advanceAsync(1);
    await inf.waitForSync();
    await settle();
    fake.breakWatches();
    fake.upsert(S, svc('late'));
    await settle();
    await clock.advanceAsync(1200);
    await settle();
    expect(log).toEqual(['add:default/late@1']);
    await inf.stop();
  });

  it('restarts a silent watch after the inactivity timeout', async () => {
    const { fake, inf, clock, watches } = setup({ inactivityTimeoutMs: 60_000 });
    fake.inject({ op: 'watch', events: [], then: 'hang' });
    inf.start();
    await inf.waitForSync();
    await settle();
    await clock.advanceAsync(59_999);
    await settle();
    expect(watches()).toHaveLength(1);
    await clock.advanceAsync(1);
    await settle();
    await clock.advanceAsync(1200);
    await settle();
    expect(watches()).toHaveLength(2);
    await inf.stop();
  });

  it('does not spin on watches that close at once without events', async () => {
    const { fake, inf, clock, watches } = setup();
    for (let i = 0; i < 50; i++) fake.inject({ op: 'watch', events: [], then: 'close' });
    inf.start();
    await inf.waitForSync();
    for (let i = 0; i < 20; i++) {
      await settle();
      await clock.advanceAsync(500);
    }
    // 10 s of manual time: 1 + 2 + 4 s of back-off allow only a handful of attempts.
    expect(watches().length).toBeLessThanOrEqual(5);
    expect(watches().length).toBeGreaterThanOrEqual(3);
    await inf.stop();
  });

  it('survives handlers that throw, and stop() ends everything', async () => {
    const { fake, inf, events } = setup();
    inf.addEventHandler({ onAdd: () => { throw new Error('handler bug'); } });
    inf.start();
    await inf.waitForSync();
    await settle();
    fake.upsert(S, svc('a'));
    fake.upsert(S, svc('b'));
    await settle();
    expect(inf.store.size()).toBe(2);
    expect(events.filter((e) => e.kind === 'handler-error')).toHaveLength(2);
    await inf.stop();
    const n = fake.calls.length;
    fake.closeWatches();
    await settle();
    expect(fake.calls.length).toBe(n);
    expect(fake.openWatches()).toBe(0);
  });
});

describe('Informer: random fault sequences (property)', () => {
  it('ends with the server state, each change delivered once, whatever fails', async () => {
    type Step =
      | { k: 'upsert'; name: string }
      | { k: 'remove'; name: string }
      | { k: 'close' }
      | { k: 'break' }
      | { k: 'silentRemove'; name: string }
      | { k: 'fail'; op: 'list' | 'watch'; code: number }
      | { k: 'dup' };
    const name = fc.constantFrom('a', 'b', 'c', 'd');
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ k: fc.constant('upsert' as const), name }),
      fc.record({ k: fc.constant('upsert' as const), name }),
      fc.record({ k: fc.constant('remove' as const), name }),
      fc.record({ k: fc.constant('close' as const) }),
      fc.record({ k: fc.constant('break' as const) }),
      fc.record({ k: fc.constant('silentRemove' as const), name }),
      fc.record({ k: fc.constant('fail' as const), op: fc.constantFrom('list' as const, 'watch' as const), code: fc.constantFrom(0, 410, 500, 503) }),
      fc.record({ k: fc.constant('dup' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const { fake, inf, clock } = setup();
        // What the handlers saw, replayed into a map; and every (key, rv) delivered.
        const view = new Map<string, string>();
        const seen = new Set<string>();
        let dupDelivery = false;
        const note = (o: KubeObject, what: string) => {
          const id = `${what}:${o.metadata.name}@${o.metadata.resourceVersion}`;
          if (seen.has(id)) dupDelivery = true;
          seen.add(id);
        };
        inf.addEventHandler({
          onAdd: (o) => (note(o, 'add'), view.set(o.metadata.name, o.metadata.resourceVersion!)),
          onUpdate: (_a, o) => (note(o, 'set'), view.set(o.metadata.name, o.metadata.resourceVersion!)),
          onDelete: (o) => (note(o, 'del'), view.delete(o.metadata.name)),
        });
        inf.start();
        let last: KubeObject | undefined;
        for (const s of steps) {
          if (s.k === 'upsert') last = fake.upsert(S, { ...svc(s.name), spec: { n: Math.floor(clock.now()) } });
          if (s.k === 'remove') fake.remove(S, 'default', s.name);
          if (s.k === 'silentRemove') fake.silentRemove(S, 'default', s.name);
          if (s.k === 'close') fake.closeWatches();
          if (s.k === 'break') fake.breakWatches();
          if (s.k === 'fail') fake.inject({ op: s.op, error: new ApiError(s.code, s.code === 410 ? 'Expired' : 'Failure', 'scripted') });
          if (s.k === 'dup' && last) fake.pushRaw(S, { type: 'MODIFIED', object: last });
          await settle(3);
          await clock.advanceAsync(1);
        }
        // Let every back-off run out.
        for (let i = 0; i < 12; i++) {
          await settle(4);
          await clock.advanceAsync(31_000);
        }
        await settle();
        const want = new Map(fake.objectsOf(S).map((o) => [o.metadata.name, o.metadata.resourceVersion!]));
        await inf.stop();
        expect(dupDelivery).toBe(false);
        expect(view).toEqual(want);
        expect(new Map(inf.store.list().map((o) => [o.metadata.name, o.metadata.resourceVersion!]))).toEqual(want);
      }),
      { numRuns: 40, seed: 20261125 },
    );
  }, 60_000);
});

describe('decideUnparseable (transition table)', () => {
  const o = (rv: string): KubeObject => ({ metadata: { name: 'a', namespace: 'default', resourceVersion: rv } });
  it.each<[string, KubeObject | undefined, 'ADDED' | 'MODIFIED' | 'DELETED', string, string]>([
    ['new object', undefined, 'ADDED', '5', 'ignore:unparseable'],
    ['MODIFIED of an object never cached', undefined, 'MODIFIED', '5', 'ignore:unparseable'],
    ['newer version of a cached object', o('5'), 'MODIFIED', '6', 'delete:5:unknown'],
    ['same version again', o('5'), 'MODIFIED', '5', 'ignore:duplicate'],
    ['older version', o('5'), 'MODIFIED', '4', 'ignore:stale'],
    ['delete of a cached object', o('5'), 'DELETED', '7', 'delete:5:unknown'],
    ['delete older than the cached object', o('5'), 'DELETED', '3', 'ignore:stale'],
    ['delete of an object never cached', undefined, 'DELETED', '7', 'ignore:unknown-delete'],
  ])('%s → %s', (_name, cached, type, rv, want) => {
    const d = decideUnparseable(cached, type, o(rv));
    expect(d.kind === 'ignore' ? `ignore:${d.reason}` : d.kind === 'delete' ? `delete:${d.object.metadata.resourceVersion}${d.finalStateUnknown ? ':unknown' : ''}` : d.kind).toBe(want);
  });
});

describe('Informer: a poisoned object never stalls it (issue 15 §2)', () => {
  /** A transform that rejects objects whose spec says `bad`, as a typed parser would reject a malformed Service. */
  const parse = (o: KubeObject): KubeObject => {
    if ((o.spec as { bad?: boolean } | undefined)?.bad) throw new TypeError(`spec.ports of ${o.metadata.name} is not an array`);
    return o;
  };
  function poisonSetup() {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const log: string[] = [];
    const events: InformerEvent[] = [];
    const inf = new Informer<KubeObject>({ client: fake, resource: S, clock, rng: new SeededRng(7), onEvent: (e) => events.push(e), transform: parse });
    const id = (o: KubeObject) => `${o.metadata.name}@${o.metadata.resourceVersion}`;
    inf.addEventHandler({
      onAdd: (o) => log.push(`add:${id(o)}`),
      onUpdate: (a, b) => log.push(`update:${id(a)}->${b.metadata.resourceVersion}`),
      onDelete: (o, i) => log.push(`delete:${id(o)}${i.finalStateUnknown ? ':unknown' : ''}`),
    });
    const objectErrors = () => events.filter((e) => e.kind === 'object-error').map((e) => `${e.key}@${e.resourceVersion}:${e.outcome}`);
    const errors = () => events.filter((e) => e.kind === 'error');
    const watches = () => fake.calls.filter((c) => c.op === 'watch');
    return { clock, fake, log, events, inf, objectErrors, errors, watches };
  }

  it('a throwing transform for one object among many: the others sync and flow, the bad one is skipped and reported once', async () => {
    const { fake, inf, log, objectErrors, errors, watches, events } = poisonSetup();
    fake.upsert(S, svc('a'));
    fake.upsert(S, { ...svc('bad'), spec: { bad: true } });
    fake.upsert(S, svc('c'));
    inf.start();
    await settle();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.store.keys().sort()).toEqual(['default/a', 'default/c']);
    expect(log).toEqual(['add:a@1', 'add:c@3']);
    expect(objectErrors()).toEqual(['default/bad@2:skipped']);
    const oe = events.find((e) => e.kind === 'object-error')!;
    expect(oe).toMatchObject({ message: 'spec.ports of bad is not an array' });
    expect(events.find((e) => e.kind === 'listed')).toMatchObject({ count: 2, skipped: 1 });
    // Watch events keep flowing around a new bad version, which is reported once.
    fake.upsert(S, svc('d'));
    fake.upsert(S, { ...svc('bad'), spec: { bad: true, again: 1 } });
    fake.upsert(S, { ...svc('a'), spec: { x: 1 } });
    await settle();
    expect(log.slice(2)).toEqual(['add:d@4', 'update:a@1->6']);
    expect(objectErrors()).toEqual(['default/bad@2:skipped', 'default/bad@5:skipped']);
    // Never retried: one watch, no error, no back-off.
    expect(errors()).toEqual([]);
    expect(watches()).toHaveLength(1);
    expect(inf.stats()).toMatchObject({ resource: 'services', objectErrors: 2, poisoned: 1, errors: 0 });
    await inf.stop();
  });

  it('a later good version of a poisoned object is added', async () => {
    const { fake, inf, log, objectErrors } = poisonSetup();
    fake.upsert(S, { ...svc('bad'), spec: { bad: true } });
    inf.start();
    await settle();
    expect(inf.store.size()).toBe(0);
    fake.upsert(S, { ...svc('bad'), spec: { fixed: true } });
    await settle();
    expect(log).toEqual(['add:bad@2']);
    expect(inf.store.get('default/bad')!.spec).toEqual({ fixed: true });
    expect(objectErrors()).toEqual(['default/bad@1:skipped']);
    expect(inf.stats().poisoned).toBe(0);
    await inf.stop();
  });

  it('a newer unparseable version retracts the cached one (a finalStateUnknown delete); a delete of a poisoned object is applied', async () => {
    const { fake, inf, log, objectErrors } = poisonSetup();
    const a = fake.upsert(S, svc('a'));
    fake.upsert(S, svc('b'));
    fake.upsert(S, svc('c'));
    inf.start();
    await settle();
    expect(log).toEqual(['add:a@1', 'add:b@2', 'add:c@3']);
    // a turns bad: out of the cache, handlers told with the last good version.
    fake.upsert(S, { ...a, spec: { bad: true } });
    await settle();
    expect(log.at(-1)).toBe('delete:a@1:unknown');
    expect(inf.store.get('default/a')).toBeUndefined();
    // Deleted while poisoned: nothing cached to deliver, the poison is forgotten.
    fake.remove(S, 'default', 'a');
    await settle();
    expect(log).toHaveLength(4);
    expect(inf.stats().poisoned).toBe(0);
    // A cached object whose DELETED event carries an object that does not transform: the delete
    // is applied with the cached object.
    const n = Number(fake.currentRv());
    fake.pushRaw(S, { type: 'DELETED', object: { ...svc('b'), spec: { bad: true }, metadata: { ...svc('b').metadata, resourceVersion: String(n + 1), uid: 'uid-2' } } });
    await settle();
    expect(log.at(-1)).toBe('delete:b@2:unknown');
    expect(inf.store.keys()).toEqual(['default/c']);
    expect(objectErrors()).toEqual(['default/a@4:retracted', 'default/a@5:gone', `default/b@${n + 1}:deleted`]);
    await inf.stop();
  });

  it('relists follow the same rule: a poisoned version is retracted or skipped, a later good one comes back', async () => {
    const { fake, inf, log, objectErrors, clock } = poisonSetup();
    const a = fake.upsert(S, svc('a'));
    inf.start();
    await settle();
    fake.closeWatches();
    // While no watch is open: a turns bad, x arrives bad, history is lost → 410 → relist.
    fake.upsert(S, { ...a, spec: { bad: true } });
    fake.upsert(S, { ...svc('x'), spec: { bad: true } });
    fake.upsert(S, svc('y'));
    fake.compact();
    await settle();
    await clock.advanceAsync(1200);
    await settle();
    expect(log).toEqual(['add:a@1', 'add:y@4', 'delete:a@1:unknown']);
    expect(objectErrors()).toEqual(['default/a@2:retracted', 'default/x@3:skipped']);
    expect(inf.stats()).toMatchObject({ poisoned: 2, relists: 1 });
    // Another relist sees the same bad versions: not reported again.
    fake.closeWatches();
    fake.upsert(S, svc('z'));
    fake.compact();
    for (let i = 0; i < 4; i++) {
      // back-offs: the second empty watch and the second 410 in a row
      await settle();
      await clock.advanceAsync(2500);
    }
    await settle();
    expect(inf.stats().relists).toBe(2);
    expect(objectErrors()).toHaveLength(2);
    // Fixed versions are added again.
    fake.upsert(S, { ...a, spec: {} });
    fake.upsert(S, { ...svc('x'), spec: {} });
    await settle();
    expect(log.slice(3)).toEqual(['add:z@5', 'add:a@6', 'add:x@7']);
    expect(inf.stats()).toMatchObject({ poisoned: 0, objectErrors: 2 });
    await inf.stop();
  });

  it('a handler that throws on one object is reported once per object version; other handlers and objects still flow', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const events: InformerEvent[] = [];
    const inf = new Informer<KubeObject>({ client: fake, resource: S, clock, rng: new SeededRng(7), onEvent: (e) => events.push(e), resyncMs: 10_000 });
    const seen: string[] = [];
    inf.addEventHandler({
      onAdd: (o) => {
        if (o.metadata.name === 'bad') throw new Error('cannot handle bad');
      },
      onUpdate: (_a, o) => {
        if (o.metadata.name === 'bad') throw new Error('cannot handle bad');
      },
    });
    inf.addEventHandler({ onAdd: (o) => seen.push(o.metadata.name), onUpdate: (_a, o) => seen.push(`~${o.metadata.name}`) });
    fake.upsert(S, svc('bad'));
    fake.upsert(S, svc('ok'));
    inf.start();
    await settle();
    await clock.advanceAsync(10_000); // resync: onUpdate(bad, bad) throws again at the same version
    await clock.advanceAsync(10_000);
    const he = events.filter((e) => e.kind === 'handler-error');
    expect(he.map((e) => `${e.handler}:${e.key}@${e.resourceVersion}:${e.message}`)).toEqual(['add:default/bad@1:cannot handle bad', 'update:default/bad@1:cannot handle bad']);
    expect(seen.filter((s) => !s.startsWith('~'))).toEqual(['bad', 'ok']);
    expect(seen.filter((s) => s === '~ok')).toHaveLength(2);
    expect(inf.stats().handlerErrors).toBe(2);
    await inf.stop();
  });
});

describe('Informer: failures say what went wrong (issue 15 §5)', () => {
  it('error events carry the error text, where it failed and the retry delay; counters count them', async () => {
    const { fake, inf, clock, events } = setup();
    fake.inject({ op: 'list', error: new ApiError(0, 'Transport', 'connect ECONNREFUSED 127.0.0.1:6443') });
    fake.inject({ op: 'watch', error: new ApiError(503, 'ServiceUnavailable', 'etcd leader changed') });
    inf.start();
    for (let i = 0; i < 4; i++) {
      await settle();
      await clock.advanceAsync(3000);
    }
    const errs = events.filter((e) => e.kind === 'error');
    expect(errs.map((e) => [e.during, e.message])).toEqual([
      ['list', 'connect ECONNREFUSED 127.0.0.1:6443'],
      ['watch', 'etcd leader changed'],
    ]);
    expect(errs.every((e) => e.retryInMs > 0)).toBe(true);
    // JSON logs see the text (an Error alone serialises to {}).
    expect(JSON.stringify({ ...errs[0], error: undefined })).toContain('ECONNREFUSED');
    expect(inf.stats()).toMatchObject({ resource: 'services', errors: 2, relists: 0 });
    await inf.stop();
  });

  it('expired events carry the 410 text and the delay before the relist (0 the first time in a row); relists are counted', async () => {
    const { fake, inf, clock, events, lists } = setup();
    fake.upsert(S, svc('a'));
    inf.start();
    await inf.waitForSync();
    await settle();
    fake.inject({ op: 'watch', error: new ApiError(410, 'Expired', 'too old resource version: 1 (5)') });
    fake.inject({ op: 'watch', error: new ApiError(410, 'Expired', 'too old resource version: 1 (6)') });
    fake.closeWatches();
    for (let i = 0; i < 4; i++) {
      await settle();
      await clock.advanceAsync(1500);
    }
    const exp = events.filter((e) => e.kind === 'expired');
    expect(exp.map((e) => e.message)).toEqual(['too old resource version: 1 (5)', 'too old resource version: 1 (6)']);
    expect(exp[0]!.retryInMs).toBe(0);
    expect(exp[1]!.retryInMs).toBeGreaterThan(0);
    expect(lists()).toHaveLength(3);
    expect(inf.stats()).toMatchObject({ relists: 2 });
    await inf.stop();
  });

  it('labels cluster-scoped and CRD resources as kubectl spells them', () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    expect(new Informer({ client: fake, resource: { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' }, clock }).stats().resource).toBe('ipaddresspools.metallb.io');
    expect(new Informer({ client: fake, resource: Resources.nodes, clock }).stats()).toEqual({ resource: 'nodes', errors: 0, relists: 0, objectErrors: 0, handlerErrors: 0, poisoned: 0 });
  });
});
