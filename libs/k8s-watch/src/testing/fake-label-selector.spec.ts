/** The fake API client reads `?labelSelector=` as a real server does (via @metallb-ts/labels). */
import { ManualClock } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { ApiError, Resources } from '../types.js';
import { FakeApiClient } from './fake-api-client.js';

const S = Resources.services;

describe('FakeApiClient label selectors', () => {
  const fake = new FakeApiClient(new ManualClock());
  const svc = (name: string, labels: Record<string, string>) => fake.upsert(S, { metadata: { name, namespace: 'default', labels } });
  svc('a', { app: 'web', tier: 'front' });
  svc('b', { app: 'db' });
  svc('c', {});
  const names = async (labelSelector?: string) => (await fake.list(S, { labelSelector })).items.map((o) => o.metadata.name);

  it.each([
    [undefined, ['a', 'b', 'c']],
    ['', ['a', 'b', 'c']],
    ['app=web', ['a']],
    ['app!=web', ['b', 'c']],
    ['app in (web,db)', ['a', 'b']],
    ['app notin (web)', ['b', 'c']],
    ['tier', ['a']],
    ['!tier', ['b', 'c']],
    ['app=web,tier=front', ['a']],
  ])('list %j → %j', async (sel, want) => {
    expect(await names(sel)).toEqual(want);
  });

  it('a malformed selector is a 400, as from a real server', async () => {
    await expect(fake.list(S, { labelSelector: 'app in web' })).rejects.toMatchObject({ code: 400, reason: 'BadRequest' });
    await expect(fake.list(S, { labelSelector: 'app in web' })).rejects.toBeInstanceOf(ApiError);
  });

  it('watch events are filtered by the same selector', async () => {
    const ac = new AbortController();
    const it = fake.watch(S, { labelSelector: 'app in (db)', resourceVersion: fake.currentRv(), signal: ac.signal })[Symbol.asyncIterator]();
    const first = it.next();
    svc('d', { app: 'web' });
    svc('e', { app: 'db' });
    expect((await first).value).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'e' } } });
    ac.abort();
    await it.next().catch(() => undefined);
  });
});
