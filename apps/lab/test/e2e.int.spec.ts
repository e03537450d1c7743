// The e2e scenarios: the whole system in the lab (`lab up`), once on apiserver-lite and once on
// the real control plane, each scenario asserting what a user sees — kubectl output, curl from
// the client, the router's table, the client's neighbour table. (The demo path on apiserver-lite
// is test/demo.int.spec.ts; on the real control plane it is the first test here.)
import { labSkipReason as testLabSkip, waitFor } from '@metallb-ts/test-lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlBinary } from '../src/lab.js';
import { E2E, labCli, realSkipReason } from './e2e.js';

const BASE = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: first-pool, namespace: metallb-system}
spec:
  addresses: [198.51.100.101-198.51.100.150]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: dual-pool, namespace: metallb-system}
spec:
  autoAssign: false
  addresses: [198.51.100.151-198.51.100.155, "2001:db8::100:1-2001:db8::100:5"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: example, namespace: metallb-system}
`;

const skipBase = testLabSkip(['ip', 'nft', 'curl', 'vtysh', 'arping']);

function scenarios(kube: 'lite' | 'real'): void {
  const skip = skipBase ?? (kube === 'real' || !kubectlBinary('lite') ? realSkipReason() : undefined);
  const d = skip ? describe.skip : describe;
  const title = `e2e on ${kube === 'lite' ? 'apiserver-lite' : 'the real control plane'}${skip ? ` [skipped: ${skip}]` : ''}`;

  d(title, () => {
    const e = new E2E(kube, `${kube === 'lite' ? 'e' : 'r'}${process.pid % 100000}`);

    beforeAll(async () => {
      await e.up(3);
      e.apply(BASE);
    }, 3_600_000);
    afterAll(async () => {
      await e.down();
    }, 120_000);

    if (kube === 'real') {
      it('the demo path: lab demo --kube real tells the whole story and exits 0', async () => {
        const r = await labCli(['demo', '--kube', 'real', '--prefix', `q${process.pid % 100000}`], 240_000);
        const out = r.stdout + r.stderr;
        expect(r.status, out).toBe(0);
        expect(out).toMatch(/myapp-svc\s+LoadBalancer\s+\S+\s+198\.51\.100\.101\s/);
        expect(out.match(/Hello from myapp-\S+ on n\d/g)?.length, out).toBe(3);
        expect(out).toMatch(/n\d took over in [\d.]+ s/);
        expect(out).toContain('one next hop per node (ECMP): n1, n2, n3');
      });
    }

    // the real control plane runs with dual-stack Service CIDRs (lab.ts SERVICE_CIDRS), so this runs on both
    it('IPv6 and dual-stack: both families get an IP, curl answers on both, the client resolves each through ARP and NDP to the announcing node', async () => {
      e.apply(e.service('dual', { pool: 'dual-pool', dual: true }));
      await e.pods('dual', ['n1', 'n2']);
      try {
        const ips = await e.externalIps('dual', 2);
        const v4 = ips.find((i) => !i.includes(':'))!;
        const v6 = ips.find((i) => i.includes(':'))!;
        expect(v4).toMatch(/^198\.51\.100\.15[1-5]$/);
        expect(v6).toMatch(/^2001:db8::100:[1-5]$/);
        expect(await e.curl(`http://${v4}/`)).toMatch(/^Hello from dual-\S+ on n[12]/);
        expect(await e.curl(`http://[${v6}]/`)).toMatch(/^Hello from dual-\S+ on n[12]/);
        const owner = await e.announcer('dual');
        // the client's neighbour entries, IPv4 (ARP) and IPv6 (NDP), name the announcing node's MAC
        expect(e.lab.neigh(v4).mac).toBe(e.macOf(owner));
        expect(e.lab.neigh(v6).mac).toBe(e.macOf(owner));
        const nd = e.lab.exec(e.lab.topo.client.ns, ['ndisc6', '-n', '-r', '2', '-w', '1000', v6, 'eth0'], 15_000);
        expect(nd.out.toLowerCase()).toContain(e.macOf(owner));
      } finally {
        await e.clean(['dual']);
      }
    });

    it('externalTrafficPolicy Local follows its endpoint: announced from the pod\'s node only, the client address preserved, and it moves with the pod', async () => {
      e.apply(e.service('local', { local: true }));
      await e.pods('local', ['n1']);
      try {
        const [ip] = await e.externalIps('local');
        expect(await e.announcer('local')).toBe('n1');
        const body = await e.curl(`http://${ip}/`);
        expect(body).toMatch(/^Hello from local-\S+ on n1 .*you came from 198\.51\.100\.50$/m);
        expect(e.lab.neigh(ip!).mac).toBe(e.macOf('n1'));
        // the pod moves to n3
        const [old] = await e.lab.readyPods('local');
        await e.pods('local', ['n3']);
        await e.lab.deletePod(old!.name);
        expect(await e.announcer('local', 'n1')).toBe('n3');
        await e.neighIs(ip!, e.macOf('n3'));
        expect(await e.curl(`http://${ip}/`, { match: /on n3/ })).toMatch(/you came from 198\.51\.100\.50/);
      } finally {
        await e.clean(['local']);
      }
    });

    it('shared IPs: two Services with the same allow-shared-ip key and different ports share one IP, each port reaching its own pods', async () => {
      e.apply(e.service('share-a', { ips: '198.51.100.140', share: 'web', port: 80 }));
      e.apply(e.service('share-b', { ips: '198.51.100.140', share: 'web', port: 81 }));
      await e.pods('share-a', ['n1']);
      await e.pods('share-b', ['n2']);
      try {
        expect(await e.externalIps('share-a')).toEqual(['198.51.100.140']);
        expect(await e.externalIps('share-b')).toEqual(['198.51.100.140']);
        expect(await e.curl('http://198.51.100.140:80/')).toMatch(/^Hello from share-a-/);
        expect(await e.curl('http://198.51.100.140:81/')).toMatch(/^Hello from share-b-/);
        // a third Service with another key cannot have that IP
        e.apply(e.service('share-c', { ips: '198.51.100.140', share: 'other', port: 82 }));
        await waitFor('AllocationFailed for share-c', () => /AllocationFailed/.test(e.kubectl('get', 'events', '--field-selector', 'involvedObject.name=share-c')) || undefined, { timeoutMs: 20_000, everyMs: 300 });
        expect(e.externalIpColumn('share-c')).toEqual([]);
      } finally {
        await e.clean(['share-a', 'share-b', 'share-c']);
      }
    });

    it('pool edits and exhaustion: a full pool leaves the Service pending with an event; adding a range gives it an IP that answers', async () => {
      e.apply(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: tiny, namespace: metallb-system}
spec: {autoAssign: false, addresses: [198.51.100.160/31]}
`);
      for (const n of ['t1', 't2', 't3']) e.apply(e.service(n, { pool: 'tiny', app: 'tiny' }));
      await e.pods('tiny', ['n2']);
      try {
        const got = [...(await e.externalIps('t1')), ...(await e.externalIps('t2'))].sort();
        expect(got).toEqual(['198.51.100.160', '198.51.100.161']);
        await waitFor('AllocationFailed for t3', () => /AllocationFailed/.test(e.kubectl('get', 'events', '--field-selector', 'involvedObject.name=t3')) || undefined, { timeoutMs: 20_000, everyMs: 300 });
        expect(e.externalIpColumn('t3')).toEqual([]);
        e.apply(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: tiny, namespace: metallb-system}
spec: {autoAssign: false, addresses: [198.51.100.160/31, 198.51.100.162/32]}
`);
        expect(await e.externalIps('t3')).toEqual(['198.51.100.162']);
        expect(await e.curl('http://198.51.100.162/')).toMatch(/^Hello from tiny-\S+ on n2/);
        expect(e.kubectl('get', 'ipaddresspools', '-n', 'metallb-system', 'tiny', '-o', 'jsonpath={.spec.addresses}')).toContain('198.51.100.162/32');
      } finally {
        await e.clean(['t1', 't2', 't3'], ['tiny']);
        e.lab.kubectl(['delete', 'ipaddresspool', '-n', 'metallb-system', 'tiny', '--ignore-not-found']);
      }
    });

    it('invalid config is kept out: kubectl apply refuses a malformed pool; an overlapping pool is rejected by the controller, which keeps serving the last good config', async () => {
      e.apply(e.service('steady'));
      await e.pods('steady', ['n1']);
      try {
        const [ip] = await e.externalIps('steady');
        const bad = e.lab.apply('apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bad, namespace: metallb-system}\nspec: {addresses: ["198.51.100.0/33"]}\n');
        expect(bad.status).not.toBe(0);
        expect(bad.err).toMatch(/each address must be a CIDR|Invalid value/);
        expect(e.lab.kubectl(['get', 'ipaddresspool', '-n', 'metallb-system', 'bad']).status).not.toBe(0);
        // accepted by the API server, refused by the controller (it overlaps first-pool)
        e.apply('apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: overlap, namespace: metallb-system}\nspec: {addresses: [198.51.100.110/32]}\n');
        e.apply(e.service('wants-overlap', { pool: 'overlap', app: 'steady' }));
        await waitFor('the controller reports the bad config', () => /overlap/i.test(e.kubectl('get', 'configurationstates', '-n', 'metallb-system', '-o', 'jsonpath={.items[*].status.errorSummary}')) || undefined, { timeoutMs: 20_000, everyMs: 300 });
        expect(e.externalIpColumn('wants-overlap')).toEqual([]);
        expect(e.externalIpColumn('steady')).toEqual([ip]);
        expect(await e.curl(`http://${ip}/`)).toMatch(/^Hello from steady-/);
      } finally {
        e.lab.kubectl(['delete', 'ipaddresspool', '-n', 'metallb-system', 'overlap', '--ignore-not-found']);
        await e.clean(['steady', 'wants-overlap'], ['steady']);
      }
    });

    it('a controller restart changes no IP, and the next Service gets a new one', async () => {
      for (const n of ['keep-1', 'keep-2', 'keep-3']) e.apply(e.service(n, { app: 'keep' }));
      await e.pods('keep', ['n3']);
      try {
        const before = await Promise.all(['keep-1', 'keep-2', 'keep-3'].map(async (n) => (await e.externalIps(n))[0]!));
        await e.lab.restart('controller');
        await waitFor('the controller ready again', () => e.lab.httpStatus(e.lab.topo.cp.ns, 7572, '/readyz') === 200 || undefined, { timeoutMs: 60_000, everyMs: 200 });
        e.apply(e.service('keep-4', { app: 'keep' }));
        const [fresh] = await e.externalIps('keep-4');
        expect(before).not.toContain(fresh);
        const after = ['keep-1', 'keep-2', 'keep-3'].map((n) => e.externalIpColumn(n)[0]);
        expect(after).toEqual(before);
        expect(await e.curl(`http://${before[0]}/`)).toMatch(/^Hello from keep-/);
      } finally {
        await e.clean(['keep-1', 'keep-2', 'keep-3', 'keep-4'], ['keep']);
      }
    });

    it('an API server restart changes no IP and drops no traffic; the next Service still gets an IP', async () => {
      e.apply(e.service('api-a', { app: 'api' }));
      await e.pods('api', ['n1', 'n2']);
      try {
        const [ip] = await e.externalIps('api-a');
        await e.curl(`http://${ip}/`);
        await e.lab.restartApiServer();
        // traffic never needed the API server
        expect(e.lab.curl(`http://${ip}/`).body).toMatch(/^Hello from api-/);
        await waitFor('the API server back', () => e.lab.kubectl(['get', 'ns', 'default']).status === 0 || undefined, { timeoutMs: 120_000, everyMs: 500 });
        expect(e.externalIpColumn('api-a')).toEqual([ip]);
        e.apply(e.service('api-b', { app: 'api' }));
        const [next] = await e.externalIps('api-b', 1, 60_000);
        expect(next).not.toBe(ip);
        expect(await e.curl(`http://${next}/`)).toMatch(/^Hello from api-/);
      } finally {
        await e.clean(['api-a', 'api-b'], ['api']);
      }
    });

    it("a node's link down moves the Service to another node (the client's neighbour entry follows); link up brings the node back", async () => {
      e.apply(e.service('link', { app: 'link' }));
      await e.pods('link', ['n1', 'n2', 'n3']);
      let down: string | undefined;
      try {
        const [ip] = await e.externalIps('link');
        down = await e.announcer('link');
        await e.neighIs(ip!, e.macOf(down));
        e.lab.setCarrier(down, false);
        const next = await e.announcer('link', down, 30_000);
        await e.neighIs(ip!, e.macOf(next));
        expect(await e.curl(`http://${ip}/`)).toMatch(/^Hello from link-\S+ on n\d/);
        e.lab.setCarrier(down, true);
        down = undefined;
        await e.announcer('link', undefined, 30_000);
        // the rejoining node and the current owner settle on one answer
        await waitFor('one node answering ARP after link up', () => e.arpingMacs(ip!, 2).length === 1 || undefined, { timeoutMs: 30_000, everyMs: 500 });
        expect(await e.curl(`http://${ip}/`)).toMatch(/^Hello from link-/);
      } finally {
        if (down) e.lab.setCarrier(down, true);
        await e.clean(['link']);
      }
    });

    it("a speaker restart with BGP graceful restart keeps the router's routes (stale while it is away) and traffic through the router flows throughout", async () => {
      const t = e.lab.topo;
      e.apply(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: gr-pool, namespace: metallb-system}
spec: {autoAssign: false, addresses: [198.51.100.170/32]}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: gr, namespace: metallb-system}
spec: {myASN: 64500, peerASN: 64501, peerAddress: ${t.router.v4}, enableGracefulRestart: true}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: gr-adv, namespace: metallb-system}
spec: {ipAddressPools: [gr-pool]}
`);
      e.apply(e.service('gr', { pool: 'gr-pool', app: 'gr' }));
      await e.pods('gr', ['n1', 'n2']);
      const ip = '198.51.100.170';
      const hops = () => e.lab.routerRoute(ip).nexthops;
      const n1 = t.nodes[0]!;
      const state = () => (JSON.parse(e.lab.vtysh(`show bgp neighbors ${n1.v4} json`)) as Record<string, { bgpState?: string }>)[n1.v4]?.bgpState;
      try {
        expect(await e.externalIps('gr')).toEqual([ip]);
        await waitFor('three next hops on the router', () => hops().length === 3 || undefined, { timeoutMs: 60_000, everyMs: 300 });
        e.lab.exec(t.client.ns, ['ip', 'route', 'replace', `${ip}/32`, 'via', t.router.v4]);
        await e.curl(`http://${ip}/`);
        await e.lab.stopSpeaker('n1', 'SIGKILL');
        await waitFor("the router's session with n1 down", () => state() !== 'Established' || undefined, { timeoutMs: 30_000, everyMs: 200 });
        // graceful restart: n1's path is kept, marked stale, so the route keeps its three next hops
        expect(hops()).toEqual([t.nodes[0]!.v4, t.nodes[1]!.v4, t.nodes[2]!.v4]);
        const paths = (JSON.parse(e.lab.vtysh(`show bgp ipv4 unicast ${ip}/32 json`)) as { paths?: { stale?: boolean; peer?: { peerId?: string } }[] }).paths ?? [];
        expect(paths.find((p) => p.peer?.peerId === n1.v4)?.stale).toBe(true);
        for (let i = 0; i < 5; i++) expect(e.lab.curl(`http://${ip}/`).body).toMatch(/^Hello from gr-/);
        e.lab.startSpeaker('n1');
        await waitFor("the router's session with n1 back", () => state() === 'Established' || undefined, { timeoutMs: 60_000, everyMs: 300 });
        await waitFor("n1's path fresh again", () => {
          const p = (JSON.parse(e.lab.vtysh(`show bgp ipv4 unicast ${ip}/32 json`)) as { paths?: { stale?: boolean; peer?: { peerId?: string } }[] }).paths ?? [];
          const mine = p.find((x) => x.peer?.peerId === n1.v4);
          return (mine && !mine.stale) || undefined;
        }, { timeoutMs: 30_000, everyMs: 300 });
        expect(hops()).toHaveLength(3);
        expect(await e.curl(`http://${ip}/`)).toMatch(/^Hello from gr-/);
      } finally {
        e.lab.exec(t.client.ns, ['ip', 'route', 'del', `${ip}/32`]);
        if (!e.lab.proc('speaker-n1') || e.lab.httpStatus(n1.ns, 7472, '/readyz') !== 200) e.lab.startSpeaker('n1');
        await e.clean(['gr']);
        e.lab.kubectl(['delete', '-n', 'metallb-system', 'bgpadvertisement/gr-adv', 'bgppeer/gr', 'ipaddresspool/gr-pool', '--ignore-not-found']);
      }
    });
    // Last: after the heal, stale ServiceL2Status objects and ARP answers may linger (see README), which
    // would disturb the scenarios after it.
    it('a memberlist partition splits the brain (two nodes answer ARP), and the heal brings it back to one', async () => {
      e.apply(e.service('split', { app: 'split' }));
      await e.pods('split', ['n2', 'n3']);
      const n1 = e.lab.node('n1').ns;
      const part = 'metallb-lab-partition';
      try {
        const [ip] = await e.externalIps('split');
        await e.announcer('split');
        expect(e.arpingMacs(ip!)).toHaveLength(1);
        // n1 no longer hears or reaches memberlist (TCP and UDP 7946); everything else still flows
        e.lab.exec(n1, ['nft', '-f', '-'], 10_000);
        const rules = `table inet ${part} {\n chain in { type filter hook input priority 0; policy accept; meta l4proto { tcp, udp } th dport 7946 drop; meta l4proto { tcp, udp } th sport 7946 drop; }\n chain out { type filter hook output priority 0; policy accept; meta l4proto { tcp, udp } th dport 7946 drop; meta l4proto { tcp, udp } th sport 7946 drop; }\n}\n`;
        const applied = e.lab.exec(n1, ['sh', '-c', `printf '%s' '${rules}' | nft -f -`]);
        expect(applied.status, applied.err).toBe(0);
        const split = await waitFor('two nodes answering ARP for the Service IP', () => {
          const macs = e.arpingMacs(ip!, 2);
          return macs.length === 2 ? macs : undefined;
        }, { timeoutMs: 60_000, everyMs: 500 });
        expect(split).toContain(e.macOf('n1'));
        expect(await e.curl(`http://${ip}/`)).toMatch(/^Hello from split-/);
        // heal
        expect(e.lab.exec(n1, ['nft', 'delete', 'table', 'inet', part]).status).toBe(0);
        await waitFor('one node answering ARP again', () => e.arpingMacs(ip!, 2).length === 1 || undefined, { timeoutMs: 90_000, everyMs: 500 });
        expect(e.arpingMacs(ip!)).toHaveLength(1);
        expect(await e.curl(`http://${ip}/`)).toMatch(/^Hello from split-/);
      } finally {
        e.lab.exec(n1, ['nft', 'delete', 'table', 'inet', part]);
        await e.clean(['split']);
      }
    });
  });
}

scenarios('lite');
scenarios('real');
