/**
 * End-to-end tests of the bundled controller binary against apiserver-lite (real HTTP, the real
 * deploy/crds with schema and CEL validation), driven like a user would: kubectl and API calls.
 */
import { Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  applyYaml,
  BINARY,
  createService,
  eventually,
  ingress,
  lbService,
  metricsText,
  pool,
  startCluster,
  startController,
  type Cluster,
  type ControllerProc,
} from './harness.js';

const kubectlPath = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));

beforeAll(() => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "npm run build" (nx runs it before test-int)`);
});

describe('controller binary', () => {
  let c: Cluster;
  let ctl: ControllerProc | undefined;
  afterEach(async () => {
    await ctl?.stop();
    ctl = undefined;
    await c?.stop();
  });

  it('seed guide: myapp-svc gets EXTERNAL-IP 10.0.0.101; kubectl shows it; metrics, readiness and pool status follow', async () => {
    c = await startCluster();
    await applyYaml(c, 'deploy/examples/ipaddresspool.yaml');
    await applyYaml(c, 'deploy/examples/l2advertisement.yaml');
    ctl = await startController(c);
    await createService(c, lbService('myapp-svc'));
    expect(await eventually(async () => (await ingress(c, 'default', 'myapp-svc'))[0], 20_000, 'an IP')).toBe('10.0.0.101');
    const svc = await c.client.get<KubeObject>(Resources.services, 'default', 'myapp-svc');
    expect(svc.metadata.annotations?.['metallb.io/ip-allocated-from-pool']).toBe('first-pool');
    if (kubectlPath) {
      const kc = join(c.dir, 'kubeconfig');
      const { stdout: out } = await promisify(execFile)(kubectlPath, ['--kubeconfig', kc, '--cache-dir', join(c.dir, 'kcache'), 'get', 'svc', 'myapp-svc', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'], { encoding: 'utf8' });
      expect(out).toBe('10.0.0.101');
      const { stdout: table } = await promisify(execFile)(kubectlPath, ['--kubeconfig', kc, '--cache-dir', join(c.dir, 'kcache'), 'get', 'svc', 'myapp-svc'], { encoding: 'utf8' });
      const [head, row] = table.trim().split('\n');
      const col = head!.split(/\s{2,}/).indexOf('EXTERNAL-IP');
      expect(col).toBeGreaterThan(0);
      expect(row!.split(/\s{2,}/)[col]).toBe('10.0.0.101');
    }
    const ready = await eventually(async () => (await fetch(`http://127.0.0.1:${ctl!.port}/readyz`)).status === 200, 10_000, 'readyz');
    expect(ready).toBe(true);
    const m = await eventually(async () => {
      const t = await metricsText(ctl!);
      return t.includes('metallb_allocator_addresses_in_use_total{pool="first-pool"} 1') ? t : '';
    });
    expect(m).toContain('metallb_allocator_addresses_total{pool="first-pool"} 50');
    expect(m).toContain('metallb_k8s_client_config_loaded_bool 1');
    const p = await eventually(async () => {
      const o = await c.client.get<KubeObject>({ group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' }, 'metallb-system', 'first-pool');
      return o.status?.assignedIPv4 === 1 ? o : undefined;
    }, 10_000, 'pool status');
    expect(p.status).toMatchObject({ assignedIPv4: 1, availableIPv4: 49, assignedIPv6: 0, availableIPv6: 0 });
    const events = await eventually(async () => {
      const l = await c.client.list<KubeObject>(Resources.events, { namespace: 'default' });
      return l.items.find((e) => e.reason === 'IPAllocated');
    }, 10_000, 'IPAllocated event');
    expect(events.message).toBe('Assigned IP [10.0.0.101]');
  });

  it('sharing, requested IP, pool annotation, dual-stack and exhaustion, each with the right outcome', async () => {
    c = await startCluster();
    c.api.apply(pool('v4', ['198.51.100.0/30']));
    c.api.apply(pool('ds', ['203.0.113.0/31', '2001:db8::/126'], { autoAssign: false }));
    ctl = await startController(c);
    const share = { 'metallb.io/allow-shared-ip': 'k' };
    await createService(c, lbService('dns-tcp', { ann: { ...share, 'metallb.io/loadBalancerIPs': '198.51.100.3' }, ports: [{ port: 53 }] }));
    await createService(c, lbService('dns-udp', { ann: { ...share, 'metallb.io/loadBalancerIPs': '198.51.100.3' }, ports: [{ port: 53, protocol: 'UDP' }] }));
    await createService(c, lbService('pinned', { ann: { 'metallb.io/address-pool': 'ds' } }));
    await createService(c, lbService('dual', { dual: true, ann: { 'metallb.io/address-pool': 'ds' } }));
    expect(await eventually(async () => (await ingress(c, 'default', 'dns-udp'))[0])).toBe('198.51.100.3');
    expect(await ingress(c, 'default', 'dns-tcp')).toEqual(['198.51.100.3']);
    // A work queue promises no order (nor does MetalLB): pinned and dual share ds's two IPv4
    // addresses in either order; only dual takes IPv6.
    const pinned = await eventually(async () => (await ingress(c, 'default', 'pinned'))[0]);
    const dual = await eventually(async () => ((await ingress(c, 'default', 'dual')).length === 2 ? await ingress(c, 'default', 'dual') : undefined));
    expect(dual[1]).toBe('2001:db8::');
    expect([pinned, dual[0]].sort()).toEqual(['203.0.113.0', '203.0.113.1']);
    // v4 has .0 .1 .2 free (.3 shared): three of a…d fit, one — any one — is refused and explained.
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) await createService(c, lbService(n));
    const annotated = async (n: string) => (await c.client.get<KubeObject>(Resources.services, 'default', n)).metadata.annotations?.['metallb-ts.io/allocation-failure'];
    const outcome = await eventually(async () => {
      const ips = await Promise.all(names.map(async (n) => (await ingress(c, 'default', n))[0]));
      const refused = await Promise.all(names.map(annotated));
      const winners = names.filter((_, i) => ips[i]);
      const losers = names.filter((_, i) => refused[i]);
      return winners.length === 3 && losers.length === 1 ? { ips, winners, loser: losers[0]!, why: refused.find(Boolean)! } : undefined;
    }, 20_000, 'three of a…d allocated, one refused');
    expect(outcome.ips.filter(Boolean).sort()).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2']);
    expect(outcome.winners).not.toContain(outcome.loser);
    expect(JSON.parse(outcome.why).reason).toMatch(/exhausted|no-eligible/);
    expect(await ingress(c, 'default', outcome.loser)).toEqual([]);
    const failedEvents = async () => (await c.client.list<KubeObject>(Resources.events, { namespace: 'default' })).items.filter((e) => e.reason === 'AllocationFailed' && e.involvedObject?.name === outcome.loser);
    const ev = await eventually(async () => (await failedEvents())[0], 20_000, 'AllocationFailed event');
    expect(ev.type).toBe('Warning');
    // Deleting a service frees its IP and the waiting service gets it.
    const freed = outcome.ips[names.indexOf(outcome.winners[0]!)]!;
    await c.client.delete(Resources.services, 'default', outcome.winners[0]!);
    expect(await eventually(async () => (await ingress(c, 'default', outcome.loser))[0], 20_000, `${outcome.loser} gets the freed IP`)).toBe(freed);
    // However often the refusal was recorded: one Event, counted (client-go aggregation).
    expect(await failedEvents()).toHaveLength(1);
    // A malformed annotation is an event, not a crash.
    await createService(c, lbService('bad', { ann: { 'metallb.io/loadBalancerIPs': '10.0.0.1,foo' } }));
    const bad = await eventually(async () => (await c.client.list<KubeObject>(Resources.events, { namespace: 'default' })).items.find((e) => e.involvedObject?.name === 'bad'));
    expect(bad.message).toContain('invalid requested IP "foo"');
    expect(ctl.child.exitCode).toBeNull();
  });

  it('invalid configuration is kept out; a pool shrink re-allocates inside the new pool', async () => {
    c = await startCluster();
    c.api.apply(pool('p', ['198.51.100.0/29']));
    ctl = await startController(c);
    await createService(c, lbService('x', { ann: { 'metallb.io/loadBalancerIPs': '198.51.100.6' } }));
    await createService(c, lbService('y'));
    expect(await eventually(async () => (await ingress(c, 'default', 'y'))[0])).toBe('198.51.100.0');
    // An overlapping second pool makes the configuration invalid: nothing changes, it is reported.
    c.api.apply(pool('overlap', ['198.51.100.4/30']));
    const cs = await eventually(async () => {
      const o = await c.client.get<KubeObject>({ group: 'metallb.io', version: 'v1beta1', plural: 'configurationstates' }, 'metallb-system', 'controller');
      return o.status?.result === 'Invalid' ? o : undefined;
    }, 20_000, 'ConfigurationState Invalid');
    expect(cs.status.errorSummary).toMatch(/overlap/i);
    expect(await metricsText(ctl)).toContain('metallb_k8s_client_config_stale_bool 1');
    await createService(c, lbService('z'));
    expect(await eventually(async () => (await ingress(c, 'default', 'z'))[0])).toBe('198.51.100.1');
    await c.client.delete({ group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' }, 'metallb-system', 'overlap');
    await eventually(async () => (await metricsText(ctl!)).includes('metallb_k8s_client_config_stale_bool 0'), 20_000, 'stale back to 0');
    // Shrink: .6 leaves the pool; x loses it and (its request now impossible) is explained.
    c.api.apply(pool('p', ['198.51.100.0/30']));
    await eventually(async () => (await ingress(c, 'default', 'x')).length === 0, 20_000, 'x loses 198.51.100.6');
    expect(await ingress(c, 'default', 'y')).toEqual(['198.51.100.0']);
    expect(await ingress(c, 'default', 'z')).toEqual(['198.51.100.1']);
    // Quirk 16 kept, but said: a Warning Event on the Service that lost its IP, with the reason.
    const moved = await eventually(async () => (await c.client.list<KubeObject>(Resources.events, { namespace: 'default' })).items.find((e) => e.involvedObject?.name === 'x' && e.reason === 'AllocationDroppedByConfig'), 20_000, 'Warning Event on x');
    expect(moved.type).toBe('Warning');
    expect(moved.message).toContain('198.51.100.6');
    expect(moved.message).toMatch(/pool shrunk/);
  });

  it('an advertisement naming a missing pool: ignored, Valid with a warning condition and a Warning Event; --metrics-bind-address; 405 for POST', async () => {
    c = await startCluster();
    c.api.apply(pool('p', ['198.51.100.0/29']));
    c.api.apply(JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'typo', namespace: 'metallb-system' }, spec: { ipAddressPools: ['p', 'pp'] } }));
    ctl = await startController(c, ['--metrics-bind-address', '127.0.0.1']);
    const CS = { group: 'metallb.io', version: 'v1beta1', plural: 'configurationstates' };
    const cs = await eventually(async () => {
      const o = await c.client.get<KubeObject>(CS, 'metallb-system', 'controller');
      return o.status?.conditions?.some((x: { type: string }) => x.type === 'advertisementPoolsFound') ? o : undefined;
    }, 20_000, 'warning condition');
    expect(cs.status.result).toBe('Valid');
    expect(cs.status.conditions.find((x: { type: string }) => x.type === 'advertisementPoolsFound')).toMatchObject({ status: 'False', reason: 'PoolNotFound', message: expect.stringContaining('L2Advertisement typo names a pool that does not exist ("pp")') });
    const ev = await eventually(async () => (await c.client.list<KubeObject>(Resources.events, { namespace: 'metallb-system' })).items.find((e) => e.reason === 'PoolNotFound'), 20_000, 'PoolNotFound event');
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'ConfigurationState', name: 'controller' } });
    // Allocation goes on from the pool that exists.
    await createService(c, lbService('w'));
    expect(await eventually(async () => (await ingress(c, 'default', 'w'))[0])).toBe('198.51.100.0');
    // The fix: the condition goes away.
    c.api.apply(JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'typo', namespace: 'metallb-system' }, spec: { ipAddressPools: ['p'] } }));
    await eventually(async () => {
      const o = await c.client.get<KubeObject>(CS, 'metallb-system', 'controller');
      return !o.status?.conditions?.some((x: { type: string }) => x.type === 'advertisementPoolsFound');
    }, 20_000, 'warning condition removed');
    // Read-only HTTP server, bound where asked.
    const r = await fetch(`http://127.0.0.1:${ctl.port}/metrics`, { method: 'POST', body: 'x' });
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(ctl.logs.some((l) => l.includes('"advertisement names a pool that does not exist"'))).toBe(true);
  });
});

describe('restart safety and availability', () => {
  let c: Cluster;
  const procs: ControllerProc[] = [];
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await c?.stop();
  });

  it('a controller restart with 1,000 Services changes no IP', async () => {
    c = await startCluster();
    c.api.apply(pool('big', ['198.51.100.0/24', '203.0.113.0/24', '2001:db8:1::/64']));
    const first = await startController(c);
    procs.push(first);
    for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => createService(c, lbService(`s${i + j}`, { v6: true }))));
    const before = await eventually(async () => {
      const l = await c.client.list<KubeObject>(Resources.services, {});
      const m = new Map(l.items.map((s) => [s.metadata.name, s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined]));
      return [...m.values()].filter(Boolean).length === 1000 ? m : undefined;
    }, 300_000, '1000 services allocated');
    expect(new Set(before.values()).size).toBe(1000);
    expect(await first.stop()).toBe(0);
    const second = await startController(c);
    procs.push(second);
    await createService(c, lbService('late'));
    await eventually(async () => (await ingress(c, 'default', 'late')).length === 1, 60_000, 'late allocated');
    const after = await c.client.list<KubeObject>(Resources.services, {});
    let changed = 0;
    for (const s of after.items) if (before.has(s.metadata.name) && before.get(s.metadata.name) !== s.status?.loadBalancer?.ingress?.[0]?.ip) changed++;
    expect(changed).toBe(0);
    expect(new Set(after.items.map((s) => s.status?.loadBalancer?.ingress?.[0]?.ip)).size).toBe(1001);
    expect(second.logs.some((l) => l.includes('"restored":1000'))).toBe(true);
    await second.stop();
  }, 600_000);

  it('the API server restarting (from its snapshot) under a running controller loses nothing', async () => {
    await c?.stop();
    c = await startCluster({ persist: true });
    c.api.apply(pool('p', ['198.51.100.0/26']));
    const ctl = await startController(c);
    procs.push(ctl);
    for (let i = 0; i < 20; i++) await createService(c, lbService(`r${i}`));
    await eventually(async () => (await ingress(c, 'default', 'r19')).length === 1, 60_000, 'r19 allocated');
    const before = new Map((await c.client.list<KubeObject>(Resources.services, {})).items.map((s) => [s.metadata.name, s.status?.loadBalancer?.ingress?.[0]?.ip]));
    await c.restart();
    await createService(c, lbService('after-api-restart'));
    await eventually(async () => (await ingress(c, 'default', 'after-api-restart')).length === 1, 60_000, 'allocation after API restart');
    const after = (await c.client.list<KubeObject>(Resources.services, {})).items;
    for (const s of after) if (before.has(s.metadata.name)) expect(s.status?.loadBalancer?.ingress?.[0]?.ip).toBe(before.get(s.metadata.name));
    expect(new Set(after.map((s) => s.status?.loadBalancer?.ingress?.[0]?.ip)).size).toBe(21);
    expect(ctl.child.exitCode).toBeNull();
  }, 300_000);

  it('two replicas: one leads; when it dies the other takes over within the lease duration', async () => {
    await c?.stop();
    c = await startCluster();
    c.api.apply(pool('ha', ['203.0.113.128/25']));
    const args = ['--lease-duration', '4', '--renew-deadline', '3', '--retry-period', '1'];
    const a = await startController(c, [...args, '--identity', 'replica-a']);
    procs.push(a);
    await eventually(async () => {
      const l = await c.client.get<KubeObject>(Resources.leases, 'metallb-system', 'metallb-ts-controller');
      return l.spec?.holderIdentity === 'replica-a';
    }, 20_000, 'replica-a leads');
    const b = await startController(c, [...args, '--identity', 'replica-b'], { waitReady: false });
    procs.push(b);
    await createService(c, lbService('ha-1', { ns: 'default' }));
    await eventually(async () => (await ingress(c, 'default', 'ha-1')).length === 1, 30_000, 'ha-1 allocated by the leader');
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.logs.some((l) => l.includes('became leader'))).toBe(false);
    a.child.kill('SIGKILL');
    const t0 = Date.now();
    await eventually(async () => {
      const l = await c.client.get<KubeObject>(Resources.leases, 'metallb-system', 'metallb-ts-controller');
      return l.spec?.holderIdentity === 'replica-b';
    }, 20_000, 'replica-b takes over');
    expect(Date.now() - t0).toBeLessThan(4000 * 2.5);
    await createService(c, lbService('ha-2'));
    await eventually(async () => (await ingress(c, 'default', 'ha-2')).length === 1, 30_000, 'ha-2 allocated by the new leader');
  });
});
