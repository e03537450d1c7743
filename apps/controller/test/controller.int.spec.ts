/**
 * End-to-end tests of the bundled controller binary, the same on apiserver-lite and on a real
 * kube-apiserver (where it runs as the ServiceAccount `metallb-system/controller` with exactly
 * deploy/kustomize/base/rbac.yaml), driven as a user would: kubectl and API calls. After each test
 * every request the controller made is checked against the calls derived from its sources, and
 * none may have been refused by RBAC. Assertions are on sets of outcomes, never on the order in
 * which the work queue happened to allocate.
 */
import { Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { existsSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  allIPs,
  auditRequests,
  BINARY,
  createService,
  eventually,
  freePort,
  ingress,
  lbService,
  matrix,
  metricsText,
  MLB_NS,
  pool,
  refusedDuringRestart,
  startController,
  type Cluster,
  type ControllerProc,
} from './harness.js';

const CS = { group: 'metallb.io', version: 'v1beta1', plural: 'configurationstates' };
const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' };

beforeAll(() => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "npm run build" (nx runs it before test-int)`);
});

async function events(c: Cluster, ns: string): Promise<KubeObject[]> {
  return (await c.client.list<KubeObject>(Resources.events, { namespace: ns })).items;
}

/** One HTTPS GET of the secure /metrics (the certificate is self-signed: TLS itself is app-runtime's test). */
function scrape(port: number, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
    req.end();
  });
}

matrix('controller binary', (backend) => {
  let c: Cluster;
  const procs: ControllerProc[] = [];
  const start = async (args: string[] = [], opts: { waitReady?: boolean } = {}) => {
    const p = await startController(c, args, opts);
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    c = await backend.start();
  }, 600_000);
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop();
    const audit = await auditRequests(c);
    await c.reset();
    expect(audit.count).toBeGreaterThan(0);
    expect(audit.forbidden, 'requests RBAC refused').toEqual([]);
    expect(audit.uncovered, 'requests not derived from the sources').toEqual([]);
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await c?.stop();
  }, 60_000);

  it('seed guide: myapp-svc gets EXTERNAL-IP 10.0.0.101; kubectl shows it; metrics, readiness and pool status follow', async () => {
    const ns = await c.namespace('seed');
    await c.apply('deploy/examples/ipaddresspool.yaml');
    await c.apply('deploy/examples/l2advertisement.yaml');
    const ctl = await start();
    await createService(c, lbService('myapp-svc', { ns }));
    expect(await eventually(async () => (await ingress(c, ns, 'myapp-svc'))[0], 20_000, 'an IP')).toBe('10.0.0.101');
    const svc = await c.client.get<KubeObject>(Resources.services, ns, 'myapp-svc');
    expect(svc.metadata.annotations?.['metallb.io/ip-allocated-from-pool']).toBe('first-pool');
    const jsonpath = c.kubectl(['get', 'svc', '-n', ns, 'myapp-svc', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
    if (jsonpath) {
      expect((await jsonpath).stdout).toBe('10.0.0.101');
      const { stdout: table } = (await c.kubectl(['get', 'svc', '-n', ns, 'myapp-svc']))!;
      const [head, row] = table.trim().split('\n');
      const col = head!.split(/\s{2,}/).indexOf('EXTERNAL-IP');
      expect(col).toBeGreaterThan(0);
      expect(row!.split(/\s{2,}/)[col]).toBe('10.0.0.101');
    }
    expect((await fetch(`http://127.0.0.1:${ctl.port}/readyz`)).status).toBe(200);
    const m = await eventually(async () => {
      const t = await metricsText(ctl);
      return t.includes('metallb_allocator_addresses_in_use_total{pool="first-pool"} 1') ? t : '';
    });
    expect(m).toContain('metallb_allocator_addresses_total{pool="first-pool"} 50');
    expect(m).toContain('metallb_k8s_client_config_loaded_bool 1');
    const p = await eventually(async () => {
      const o = await c.client.get<KubeObject>(POOLS, MLB_NS, 'first-pool');
      return o.status?.assignedIPv4 === 1 ? o : undefined;
    }, 10_000, 'pool status');
    expect(p.status).toMatchObject({ assignedIPv4: 1, availableIPv4: 49, assignedIPv6: 0, availableIPv6: 0 });
    const ev = await eventually(async () => (await events(c, ns)).find((e) => e.reason === 'IPAllocated'), 10_000, 'IPAllocated event');
    expect(ev.message).toBe('Assigned IP [10.0.0.101]');
    expect(ev.involvedObject).toMatchObject({ kind: 'Service', name: 'myapp-svc', namespace: ns });
  });

  it('sharing, requested IP, pool annotation and exhaustion, each with the right outcome', async () => {
    const ns = await c.namespace('alloc');
    await c.apply([pool('v4', ['198.51.100.0/30']), pool('pinned', ['203.0.113.0/31'], { autoAssign: false })]);
    await start();
    const share = { 'metallb.io/allow-shared-ip': 'k' };
    await createService(c, lbService('dns-tcp', { ns, ann: { ...share, 'metallb.io/loadBalancerIPs': '198.51.100.3' }, ports: [{ port: 53 }] }));
    await createService(c, lbService('dns-udp', { ns, ann: { ...share, 'metallb.io/loadBalancerIPs': '198.51.100.3' }, ports: [{ port: 53, protocol: 'UDP' }] }));
    await createService(c, lbService('pinned', { ns, ann: { 'metallb.io/address-pool': 'pinned' } }));
    expect(await eventually(async () => (await ingress(c, ns, 'dns-udp'))[0])).toBe('198.51.100.3');
    expect(await ingress(c, ns, 'dns-tcp')).toEqual(['198.51.100.3']);
    expect(await eventually(async () => (await ingress(c, ns, 'pinned'))[0])).toBe('203.0.113.0');
    // v4 has .0 .1 .2 free (.3 shared): three of a…d fit, one — any one — is refused and explained.
    const names = ['a', 'b', 'c', 'd'];
    for (const n of names) await createService(c, lbService(n, { ns }));
    const annotated = async (n: string) => (await c.client.get<KubeObject>(Resources.services, ns, n)).metadata.annotations?.['metallb-ts.io/allocation-failure'];
    const outcome = await eventually(async () => {
      const ips = await Promise.all(names.map(async (n) => (await ingress(c, ns, n))[0]));
      const refused = await Promise.all(names.map(annotated));
      const winners = names.filter((_, i) => ips[i]);
      const losers = names.filter((_, i) => refused[i]);
      return winners.length === 3 && losers.length === 1 ? { ips, winners, loser: losers[0]!, why: refused.find(Boolean)! } : undefined;
    }, 20_000, 'three of a…d allocated, one refused');
    expect(outcome.ips.filter(Boolean).sort()).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2']);
    expect(outcome.winners).not.toContain(outcome.loser);
    expect(JSON.parse(outcome.why).reason).toMatch(/exhausted|no-eligible/);
    expect(await ingress(c, ns, outcome.loser)).toEqual([]);
    const failedEvents = async () => (await events(c, ns)).filter((e) => e.reason === 'AllocationFailed' && e.involvedObject?.name === outcome.loser);
    const ev = await eventually(async () => (await failedEvents())[0], 20_000, 'AllocationFailed event');
    expect(ev.type).toBe('Warning');
    // Deleting a service frees its IP and the waiting service gets it.
    const freed = outcome.ips[names.indexOf(outcome.winners[0]!)]!;
    await c.client.delete(Resources.services, ns, outcome.winners[0]!);
    expect(await eventually(async () => (await ingress(c, ns, outcome.loser))[0], 20_000, `${outcome.loser} gets the freed IP`)).toBe(freed);
    // However often the refusal was recorded: one Event, counted (client-go aggregation).
    expect(await failedEvents()).toHaveLength(1);
    // A malformed annotation is an event, not a crash.
    await createService(c, lbService('bad', { ns, ann: { 'metallb.io/loadBalancerIPs': '10.0.0.1,foo' } }));
    const bad = await eventually(async () => (await events(c, ns)).find((e) => e.involvedObject?.name === 'bad'));
    expect(bad.message).toContain('invalid requested IP "foo"');
    expect(procs[0]!.child.exitCode).toBeNull();
  });

  it.skipIf(backend.dualStack)(`dual-stack: RequireDualStack gets one IP per family, IPv6-only one IPv6${backend.dualStack ? ` [skipped: ${backend.dualStack}]` : ''}`, async () => {
    const ns = await c.namespace('dual');
    await c.apply(pool('ds', ['203.0.113.0/31', '2001:db8::/126']));
    await start();
    await createService(c, lbService('dual', { ns, dual: true }));
    await createService(c, lbService('six', { ns, v6: true }));
    const dual = await eventually(async () => ((await ingress(c, ns, 'dual')).length === 2 ? ingress(c, ns, 'dual') : undefined));
    const six = await eventually(async () => (await ingress(c, ns, 'six'))[0]);
    expect(dual[0]).toBe('203.0.113.0');
    // Two v6 services over 2001:db8::/126: each its own address, in either order.
    expect([dual[1], six].sort()).toEqual(['2001:db8::', '2001:db8::1']);
  });

  it('invalid configuration is kept out; a pool shrink re-allocates inside the new pool', async () => {
    const ns = await c.namespace('shrink');
    await c.apply(pool('p', ['198.51.100.0/29']));
    const ctl = await start();
    await createService(c, lbService('x', { ns, ann: { 'metallb.io/loadBalancerIPs': '198.51.100.6' } }));
    await createService(c, lbService('y', { ns }));
    expect(await eventually(async () => (await ingress(c, ns, 'y'))[0])).toBe('198.51.100.0');
    // An overlapping second pool makes the configuration invalid: nothing changes, it is reported.
    await c.apply(pool('overlap', ['198.51.100.4/30']));
    const cs = await eventually(async () => {
      const o = await c.client.get<KubeObject>(CS, MLB_NS, 'controller');
      return o.status?.result === 'Invalid' ? o : undefined;
    }, 20_000, 'ConfigurationState Invalid');
    expect(cs.status.errorSummary).toMatch(/overlap/i);
    expect(await metricsText(ctl)).toContain('metallb_k8s_client_config_stale_bool 1');
    await createService(c, lbService('z', { ns }));
    expect(await eventually(async () => (await ingress(c, ns, 'z'))[0])).toBe('198.51.100.1');
    await c.client.delete(POOLS, MLB_NS, 'overlap');
    await eventually(async () => (await metricsText(ctl)).includes('metallb_k8s_client_config_stale_bool 0'), 20_000, 'stale back to 0');
    // Shrink: .6 leaves the pool; x loses it and (its request now impossible) is explained.
    await c.apply(pool('p', ['198.51.100.0/30']));
    await eventually(async () => (await ingress(c, ns, 'x')).length === 0, 20_000, 'x loses 198.51.100.6');
    expect(await ingress(c, ns, 'y')).toEqual(['198.51.100.0']);
    expect(await ingress(c, ns, 'z')).toEqual(['198.51.100.1']);
    // Quirk 16 kept, but said: a Warning Event on the Service that lost its IP, with the reason.
    const moved = await eventually(async () => (await events(c, ns)).find((e) => e.involvedObject?.name === 'x' && e.reason === 'AllocationDroppedByConfig'), 20_000, 'Warning Event on x');
    expect(moved.type).toBe('Warning');
    expect(moved.message).toContain('198.51.100.6');
    expect(moved.message).toMatch(/pool shrunk/);
    // And MetalLB's Normal ClearAssignment (conformance c06), since a pool is left.
    const clear = await eventually(async () => (await events(c, ns)).find((e) => e.involvedObject?.name === 'x' && e.reason === 'ClearAssignment'), 20_000, 'ClearAssignment on x');
    expect(clear.type).toBe('Normal');
    expect(clear.message).toContain(`current IP for ${ns}/x not allowed by config`);
  });

  it('an advertisement naming a missing pool: ignored, Valid with a warning condition and a Warning Event; --metrics-bind-address; 405 for POST', async () => {
    const ns = await c.namespace('adv');
    await c.apply([pool('p', ['198.51.100.0/29']), { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'typo', namespace: MLB_NS }, spec: { ipAddressPools: ['p', 'pp'] } }]);
    const ctl = await start(['--metrics-bind-address', '127.0.0.1']);
    const cs = await eventually(async () => {
      const o = await c.client.get<KubeObject>(CS, MLB_NS, 'controller');
      return o.status?.conditions?.some((x: { type: string }) => x.type === 'advertisementPoolsFound') ? o : undefined;
    }, 20_000, 'warning condition');
    expect(cs.status.result).toBe('Valid');
    expect(cs.status.conditions.find((x: { type: string }) => x.type === 'advertisementPoolsFound')).toMatchObject({ status: 'False', reason: 'PoolNotFound', message: expect.stringContaining('L2Advertisement typo names a pool that does not exist ("pp")') });
    const ev = await eventually(async () => (await events(c, MLB_NS)).find((e) => e.reason === 'PoolNotFound'), 20_000, 'PoolNotFound event');
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'ConfigurationState', name: 'controller' } });
    // Allocation goes on from the pool that exists.
    await createService(c, lbService('w', { ns }));
    expect(await eventually(async () => (await ingress(c, ns, 'w'))[0])).toBe('198.51.100.0');
    // The fix: the condition goes away.
    await c.apply({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'typo', namespace: MLB_NS }, spec: { ipAddressPools: ['p'] } });
    await eventually(async () => {
      const o = await c.client.get<KubeObject>(CS, MLB_NS, 'controller');
      return !o.status?.conditions?.some((x: { type: string }) => x.type === 'advertisementPoolsFound');
    }, 20_000, 'warning condition removed');
    // Read-only HTTP server, bound where asked.
    const r = await fetch(`http://127.0.0.1:${ctl.port}/metrics`, { method: 'POST', body: 'x' });
    expect([r.status, r.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(ctl.logs.some((l) => l.includes('"advertisement names a pool that does not exist"'))).toBe(true);
  });

  it('--pod-name: its Pod owns the ConfigurationState; --ml-secret-name: the memberlist Secret is created once and never changed', async () => {
    // No kubelet: the test makes the Node and the Pod the Deployment would have.
    await c.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-ctl', labels: { 'kubernetes.io/hostname': 'node-ctl' } } });
    await c.client.create(Resources.pods, MLB_NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'controller-0', namespace: MLB_NS, labels: { app: 'metallb-ts', component: 'controller' } },
      spec: { nodeName: 'node-ctl', serviceAccountName: 'controller', automountServiceAccountToken: false, containers: [{ name: 'controller', image: 'ghcr.io/metallb-ts/controller:v0.1.0' }] },
    });
    const podUid = (await c.client.get<KubeObject>(Resources.pods, MLB_NS, 'controller-0')).metadata.uid;
    await c.apply(pool('p', ['198.51.100.0/29']));
    await start(['--pod-name', 'controller-0', '--ml-secret-name', 'memberlist']);
    const cs = await eventually(async () => {
      const o = await c.client.get<KubeObject>(CS, MLB_NS, 'controller');
      return o.status?.result === 'Valid' ? o : undefined;
    }, 20_000, 'ConfigurationState Valid');
    expect(cs.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'controller-0', uid: podUid }]);
    expect(cs.metadata.labels).toMatchObject({ 'metallb.io/component-type': 'controller' });
    const secret = await eventually(async () => c.client.get<KubeObject>(Resources.secrets, MLB_NS, 'memberlist'), 20_000, 'memberlist secret');
    const key = Buffer.from(secret.data.secretkey, 'base64').toString();
    expect(key).toMatch(/^[A-Za-z0-9+/]{22}$/);
    expect(Buffer.from(key, 'base64')).toHaveLength(16);
    // A restart (new leader) leaves it alone.
    await procs.splice(0)[0]!.stop();
    await start(['--pod-name', 'controller-0', '--ml-secret-name', 'memberlist']);
    expect((await c.client.get<KubeObject>(Resources.secrets, MLB_NS, 'memberlist')).data.secretkey).toBe(secret.data.secretkey);
  });

  it.skipIf(backend.reviews)(`--metrics-secure: the API server authenticates and authorises each scrape (TokenReview + SubjectAccessReview as the controller)${backend.reviews ? ` [skipped: ${backend.reviews}]` : ''}`, async () => {
    const reader = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'metallb-ts-test:metrics-reader' },
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'metallb-ts-test:metrics-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader.metadata.name },
      subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: 'default' }],
    };
    const applied = await c.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [reader, binding] }))!;
    expect(applied.code, applied.stderr).toBe(0);
    const allowed = await c.token!('default', 'scraper');
    const other = await c.token!('default', 'not-a-scraper');
    const metricsPort = await freePort();
    await start(['--metrics-secure', '--metrics-bind-address', `127.0.0.1:${metricsPort}`]);
    const ok = await eventually(async () => {
      const r = await scrape(metricsPort, allowed);
      return r.status === 200 ? r : undefined;
    }, 20_000, 'an authorised scrape');
    expect(ok.body).toContain('metallb_k8s_client_config_loaded_bool');
    expect((await scrape(metricsPort, other)).status).toBe(403);
    expect((await scrape(metricsPort, 'forged')).status).toBe(401);
    expect((await scrape(metricsPort)).status).toBe(401);
  });

  it('a controller restart with 500 Services changes no IP', async () => {
    const ns = await c.namespace('restart');
    await c.apply(pool('big', ['198.51.100.0/24', '203.0.113.0/24']));
    const first = await start();
    const N = 500;
    for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => createService(c, lbService(`s${i + j}`, { ns }))));
    const before = await eventually(async () => {
      const m = await allIPs(c, [ns]);
      return [...m.values()].filter(Boolean).length === N ? m : undefined;
    }, 300_000, `${N} services allocated`);
    expect(new Set(before.values()).size).toBe(N);
    expect(await first.stop()).toBe(0);
    const second = await start();
    await createService(c, lbService('late', { ns }));
    await eventually(async () => (await ingress(c, ns, 'late')).length === 1, 60_000, 'late allocated');
    const after = await allIPs(c, [ns]);
    const changed = [...before].filter(([name, ip]) => after.get(name) !== ip);
    expect(changed).toEqual([]);
    expect(new Set(after.values()).size).toBe(N + 1);
    expect(second.logs.some((l) => l.includes(`"restored":${N}`))).toBe(true);
  }, 600_000);

  it('the API server restarting under a running controller loses nothing', async () => {
    const ns = await c.namespace('apirestart');
    await c.apply(pool('p', ['198.51.100.0/26']));
    const ctl = await start();
    for (let i = 0; i < 20; i++) await createService(c, lbService(`r${i}`, { ns }));
    await eventually(async () => [...(await allIPs(c, [ns])).values()].filter(Boolean).length === 20, 60_000, '20 allocated');
    const before = await allIPs(c, [ns]);
    await c.down();
    await c.up();
    await createService(c, lbService('after-api-restart', { ns }));
    await eventually(async () => (await ingress(c, ns, 'after-api-restart')).length === 1, 60_000, 'allocation after the API server restart');
    const after = await allIPs(c, [ns]);
    for (const [name, ip] of before) expect(after.get(name), name).toBe(ip);
    expect(new Set(after.values()).size).toBe(21);
    expect(ctl.child.exitCode).toBeNull();
    // Whatever the restarting server refused (403 before its RBAC caches load) is retried with
    // back-off; the audit after this test wants each to have succeeded again.
    await eventually(async () => refusedDuringRestart(c).length === 0, 90_000, 'every request refused during the restart succeeded again');
  }, 300_000);

  it('two replicas: one leads; when it dies the other takes over within the lease duration', async () => {
    const ns = await c.namespace('ha');
    await c.apply(pool('ha', ['203.0.113.128/25']));
    const args = ['--lease-duration', '4', '--renew-deadline', '3', '--retry-period', '1'];
    const holder = async () => (await c.client.get<KubeObject>(Resources.leases, MLB_NS, 'metallb-ts-controller')).spec?.holderIdentity;
    const a = await start([...args, '--identity', 'replica-a']);
    await eventually(async () => (await holder()) === 'replica-a', 20_000, 'replica-a leads');
    const b = await start([...args, '--identity', 'replica-b'], { waitReady: false });
    await createService(c, lbService('ha-1', { ns }));
    await eventually(async () => (await ingress(c, ns, 'ha-1')).length === 1, 30_000, 'ha-1 allocated by the leader');
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.logs.some((l) => l.includes('became leader'))).toBe(false);
    a.child.kill('SIGKILL');
    const t0 = Date.now();
    await eventually(async () => (await holder()) === 'replica-b', 20_000, 'replica-b takes over');
    expect(Date.now() - t0).toBeLessThan(4000 * 2.5);
    await createService(c, lbService('ha-2', { ns }));
    await eventually(async () => (await ingress(c, ns, 'ha-2')).length === 1, 30_000, 'ha-2 allocated by the new leader');
  });
});
