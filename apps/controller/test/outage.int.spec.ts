/**
 * Issue 15 §1: an API server outage longer than `--renew-deadline` must only delay work. The
 * README promises "an API server gone for a minute only delays work"; this proves it.
 *
 * One cluster (apiserver-lite with a snapshot, stopped and started again on the same port), two
 * independent controller deployments side by side so both cases share the outages:
 * - `solo`: one replica (`--lb-class solo`, its own Lease),
 * - `pair`: two replicas (`--lb-class pair`, another Lease).
 * Outages of 3 s (shorter than the renew deadline), 12 s and 60 s, in a row. After each, a Service
 * of each class created once the server is back gets its IP within lease duration + retry period
 * of the server's return, and no existing IP changes.
 */
import { Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARY, createService, eventually, ingress, lbService, pool, startCluster, startController, type Cluster, type ControllerProc } from './harness.js';

const LEASE_S = 8;
const RENEW_S = 6;
const RETRY_S = 1;
const LEASE_ARGS = ['--lease-duration', String(LEASE_S), '--renew-deadline', String(RENEW_S), '--retry-period', String(RETRY_S)];
/** The promise under test: work resumes within lease duration + retry period of the server's return. */
const BOUND_MS = (LEASE_S + RETRY_S) * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function classed(name: string, cls: 'solo' | 'pair'): KubeObject {
  const s = lbService(name, { ann: { 'metallb.io/address-pool': cls } });
  s.spec.loadBalancerClass = cls;
  return s;
}

async function allIPs(c: Cluster): Promise<Map<string, string | undefined>> {
  const l = await c.client.list<KubeObject>(Resources.services, {});
  return new Map(l.items.map((s) => [s.metadata.name, s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined]));
}

async function leaseHolder(c: Cluster, name: string): Promise<string | undefined> {
  const l = await c.client.get<KubeObject>(Resources.leases, 'metallb-system', name);
  return l.spec?.holderIdentity as string | undefined;
}

async function status(p: ControllerProc, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${p.port}${path}`)).status;
}

beforeAll(() => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "npm run build" (nx runs it before test-int)`);
});

describe('API server outages (issue 15 §1)', () => {
  let c: Cluster;
  const procs: ControllerProc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await c?.stop();
  });

  it('outages of 3 s, 12 s and 60 s, with one and with two replicas, only delay work', async () => {
    c = await startCluster({ persist: true });
    c.api.apply(pool('solo', ['198.51.100.0/26'], { autoAssign: false }));
    c.api.apply(pool('pair', ['203.0.113.0/26'], { autoAssign: false }));
    const solo = await startController(c, [...LEASE_ARGS, '--lb-class', 'solo', '--lease-name', 'solo', '--identity', 'solo-0']);
    const pairA = await startController(c, [...LEASE_ARGS, '--lb-class', 'pair', '--lease-name', 'pair', '--identity', 'pair-a']);
    const pairB = await startController(c, [...LEASE_ARGS, '--lb-class', 'pair', '--lease-name', 'pair', '--identity', 'pair-b'], { waitReady: false });
    procs.push(solo, pairA, pairB);
    await createService(c, classed('solo-before', 'solo'));
    await createService(c, classed('pair-before', 'pair'));
    await eventually(async () => (await ingress(c, 'default', 'solo-before')).length === 1, 20_000, 'solo-before allocated');
    await eventually(async () => (await ingress(c, 'default', 'pair-before')).length === 1, 20_000, 'pair-before allocated');

    for (const outageS of [3, 12, 60]) {
      const before = await allIPs(c);
      await c.down();
      await sleep(outageS * 1000);
      await c.up();
      const back = Date.now();
      await createService(c, classed(`solo-after-${outageS}`, 'solo'));
      await createService(c, classed(`pair-after-${outageS}`, 'pair'));
      for (const n of [`solo-after-${outageS}`, `pair-after-${outageS}`]) {
        await eventually(async () => (await ingress(c, 'default', n)).length === 1, BOUND_MS * 3, `${n} allocated after a ${outageS} s outage`).catch((e: Error) => {
          throw new Error(`${e.message}\n${procs.map((p) => p.logs.slice(-15).join('\n')).join('\n----\n')}`);
        });
        const took = Date.now() - back;
        expect(took, `${n}: IP ${took} ms after the server's return (bound ${BOUND_MS} ms)`).toBeLessThan(BOUND_MS);
      }
      const after = await allIPs(c);
      for (const [name, ip] of before) expect(after.get(name), `${name} kept its IP over a ${outageS} s outage`).toBe(ip);
      // The Leases name live replicas, which renew them.
      expect(await leaseHolder(c, 'solo')).toBe('solo-0');
      expect(['pair-a', 'pair-b']).toContain(await leaseHolder(c, 'pair'));
      for (const p of procs) {
        expect(p.child.exitCode, `${p.logs.slice(-3).join(' | ')}`).toBeNull();
        expect(await status(p, '/healthz')).toBe(200);
      }
      expect(await status(solo, '/readyz')).toBe(200);
    }
    // Each outage beyond the renew deadline cost the solo replica its leadership; it stood again.
    const solos = solo.logs.filter((l) => l.includes('"became leader"')).length;
    expect(solos).toBeGreaterThanOrEqual(3);
    const ips = [...(await allIPs(c)).values()].filter(Boolean);
    expect(new Set(ips).size).toBe(ips.length);
  }, 300_000);
});
