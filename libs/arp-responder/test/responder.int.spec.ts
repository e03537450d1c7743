/**
 * Integration: the real kernel, arping, ndisc6 and ping against our responder in network
 * namespaces joined by a bridge. Runs as root; skips with the reason otherwise.
 *
 * Topology (all inside namespaces tlarp-<pid>-*, made by @metallb-ts/test-lab):
 *   switch `s`: br0 ── r1 eth0 02:00:00:00:01:01 198.51.100.11 2001:db8::11
 *                  ├── r2 eth0 02:00:00:00:01:02 198.51.100.12 2001:db8::12
 *                  └── c  eth0 02:00:00:00:01:0c 198.51.100.2  2001:db8::2
 *   VLAN 100 over it: this kernel has no 8021q and no bridge VLAN filtering, so the client sends
 *   802.1Q-tagged requests from a raw socket (test/fixtures/client-main.ts) and r1 declares the
 *   software VLAN eth0.100 (ResponderOptions.vlans).
 *   r1 eth1 02:00:00:00:02:01 ── c2 eth0 02:00:00:00:02:0c (203.0.113.128/25, a second interface)
 * The VIPs 198.51.100.100 and 2001:db8::100 are on r1's and r2's `lo` (arp_ignore=1,
 * arp_announce=2), so only our responder answers for them and ping works end to end.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArpLab, arping, bundleArpFixtures, labSkipReason, ndisc6, waitFor, type ResponderProc } from '@metallb-ts/test-lab';

const skip = labSkipReason(['ip', 'arping', 'ndisc6', 'ping']);
if (skip) console.warn(`[arp-responder test-int] SKIPPED: ${skip}`);

const R1 = '02:00:00:00:01:01';
const R2 = '02:00:00:00:01:02';
const R1_ETH1 = '02:00:00:00:02:01';
const VIP = '198.51.100.100';
const VIP6 = '2001:db8::100';
const VLAN_VIP = '203.0.113.100';

interface IpStatsLine {
  ip: string;
  requests: number;
  responses: number;
  gratuitous: number;
  announcedAt?: number;
  firstGratuitousAt?: number;
}

async function ipStatsOf(p: ResponderProc, ip: string): Promise<IpStatsLine> {
  const all = (await p.command({ cmd: 'ipstats' }))['ipStats'] as IpStatsLine[];
  const s = all.find((x) => x.ip === ip);
  if (!s) throw new Error(`no counters for ${ip} in ${JSON.stringify(all)}`);
  return s;
}

describe.skipIf(skip !== undefined)('arp-responder in network namespaces', () => {
  const lab = new ArpLab('arp');
  let script = '';
  let client = '';
  let bundleDir = '';
  let sw = '';
  let r1 = '';
  let r2 = '';
  let c = '';
  let c2 = '';

  beforeAll(async () => {
    ({ script, client, dir: bundleDir } = await bundleArpFixtures());
    sw = lab.switch('s');
    r1 = lab.ns('r1');
    r2 = lab.ns('r2');
    c = lab.ns('c');
    c2 = lab.ns('c2');
    lab.plug(sw, r1, 'eth0', R1, ['198.51.100.11/24', '2001:db8::11/64']);
    lab.plug(sw, r2, 'eth0', R2, ['198.51.100.12/24', '2001:db8::12/64']);
    lab.plug(sw, c, 'eth0', '02:00:00:00:01:0c', ['198.51.100.2/24', '2001:db8::2/64']);
    lab.wire(r1, 'eth1', R1_ETH1, ['203.0.113.129/25'], c2, 'eth0', '02:00:00:00:02:0c', ['203.0.113.130/25']);
    for (const r of [r1, r2]) {
      lab.sysctl(r, 'net.ipv4.conf.all.arp_ignore', 1);
      lab.sysctl(r, 'net.ipv4.conf.all.arp_announce', 2);
      lab.ip('-n', r, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
      lab.ip('-n', r, 'addr', 'add', `${VIP6}/128`, 'dev', 'lo');
    }
  });

  afterAll(async () => {
    await lab.cleanup();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  let p1: ResponderProc;

  it('the kernel does not answer for the VIPs on lo by itself', () => {
    expect(arping(lab, c, 'eth0', VIP, 1).received).toBe(0);
    expect(ndisc6(lab, c, 'eth0', VIP6).mac).toBeUndefined();
  });

  it('arping -c 3 and ndisc6 get our MAC for the owned addresses', async () => {
    p1 = lab.responder(r1, script, {
      announce: [{ key: 'default/web', ip: VIP }, { key: 'default/web', ip: VIP6 }],
      vlans: [{ name: 'eth0.100', parent: 'eth0', vid: 100 }],
      // No periodic scan during the suite: every link change p1 reports below (carrier, a new
      // interface, a vanished one) must come from netlink, never from a scan that happened to fall
      // inside a wait — so those tests need no wall-clock bound to prove it.
      scanIntervalMs: 3_600_000,
    });
    const ready = await p1.waitFor((e) => e.event === 'ready');
    expect(ready['interfaces']).toEqual(['eth0', 'eth1', 'eth0.100']);
    const a = arping(lab, c, 'eth0', VIP, 3);
    expect(a.received, a.out).toBe(3);
    expect(a.macs).toEqual([R1, R1, R1]);
    const n = ndisc6(lab, c, 'eth0', VIP6);
    expect(n.mac, n.out).toBe(R1);
  });

  it('counts requests, responses and gratuitous frames per address, and lists the scanned links', async () => {
    const before = await ipStatsOf(p1, VIP);
    const a = arping(lab, c, 'eth0', VIP, 3);
    expect(a.received, a.out).toBe(3);
    const after = await ipStatsOf(p1, VIP);
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(3);
    expect(after.responses - before.responses).toBeGreaterThanOrEqual(3);
    expect(after.gratuitous).toBeGreaterThanOrEqual(2 * 2); // at least the first round, request + reply form, on eth0 and eth1
    expect(after.firstGratuitousAt).toBeGreaterThanOrEqual(after.announcedAt!);
    const first = p1.events.filter((e) => e.event === 'gratuitous' && e['ip'] === VIP && e['first'] === true);
    expect(first).toHaveLength(1);
    const links = (await p1.command({ cmd: 'links' }))['links'] as { name: string; mac: string; up: boolean; carrier: boolean; addresses: string[]; use: { kind: string } }[];
    const eth0 = links.find((l) => l.name === 'eth0')!;
    expect(eth0).toMatchObject({ mac: R1, up: true, carrier: true, use: { kind: 'answering' } });
    expect(eth0.addresses).toEqual(expect.arrayContaining(['198.51.100.11/24', '2001:db8::11/64']));
    expect(eth0.addresses.some((x) => x.startsWith('fe80:'))).toBe(true);
    expect(links.find((l) => l.name === 'lo')).toMatchObject({ use: { kind: 'skipped', reason: 'loopback' } });
  });

  it('a unicast NUD solicitation (to our MAC and the target address) is answered too', async () => {
    const r = await lab.client(c, client, { ifName: 'eth0', mode: 'probe', family: 6, target: VIP6, sender: '2001:db8::2', unicastTo: R1, count: 3, timeoutMs: 1000 });
    expect([r.received, r.macs]).toEqual([3, [R1]]);
  });

  it("the client kernel's neighbour tables learn our MAC from ordinary ping", () => {
    lab.must(c, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    lab.must(c, ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
    expect(lab.run(c, ['ping', '-c', '2', '-W', '2', VIP]).status).toBe(0);
    expect(lab.run(c, ['ping', '-6', '-c', '2', '-W', '2', VIP6]).status).toBe(0);
    expect(lab.neigh(c, VIP).mac).toBe(R1);
    expect(lab.neigh(c, VIP6).mac).toBe(R1);
  });

  it("a takeover moves the client's neighbour entries to the new MAC through gratuitous frames alone", async () => {
    expect(lab.neigh(c, VIP).mac).toBe(R1);
    await p1.command({ cmd: 'withdraw', key: 'default/web' });
    // r2 remembers no requesters (maxRequestersPerIp 0), so only its gratuitous ARP / unsolicited NA can do this
    const p2 = lab.responder(r2, script, { announce: [{ key: 'default/web', ip: VIP }, { key: 'default/web', ip: VIP6 }], announcer: { maxRequestersPerIp: 0 } });
    await p2.waitFor((e) => e.event === 'ready');
    await waitFor('the IPv4 entry to move to r2', () => lab.neigh(c, VIP).mac === R2, 15_000);
    await waitFor('the IPv6 entry to move to r2', () => lab.neigh(c, VIP6).mac === R2, 15_000);
    expect(lab.run(c, ['ping', '-c', '1', '-W', '2', VIP]).status).toBe(0);
    expect(lab.run(c, ['ping', '-6', '-c', '1', '-W', '2', VIP6]).status).toBe(0);
    const stats = (await p2.command({ cmd: 'stats' }))['stats'] as { gratuitous: number; takeoverUnicasts: number };
    expect(stats.takeoverUnicasts).toBe(0);
    expect(stats.gratuitous).toBeGreaterThanOrEqual(3);
    await p2.stop();
  });

  it('takeover also reaches a client that drops gratuitous ARP, through unicast replies to recent requesters', async () => {
    // r1 is the standby this time and sees the client's broadcast requests while r2 answers.
    lab.sysctl(c, 'net.ipv4.conf.eth0.drop_gratuitous_arp', 1);
    try {
      const p2 = lab.responder(r2, script, { announce: [{ key: 'default/web', ip: VIP }] });
      await p2.waitFor((e) => e.event === 'ready');
      lab.must(c, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
      expect(lab.run(c, ['ping', '-c', '1', '-W', '2', VIP]).status).toBe(0);
      expect(lab.neigh(c, VIP).mac).toBe(R2);
      await p2.command({ cmd: 'withdraw', key: 'default/web' });
      await new Promise((r) => setTimeout(r, 1100)); // the kernel's neigh locktime (1 s) would ignore an update this soon
      await p1.command({ cmd: 'announce', key: 'default/web', ip: VIP });
      await waitFor('the IPv4 entry to move back to r1', () => lab.neigh(c, VIP).mac === R1, 15_000);
      const stats = (await p1.command({ cmd: 'stats' }))['stats'] as { takeoverUnicasts: number };
      expect(stats.takeoverUnicasts).toBeGreaterThanOrEqual(1);
      await p2.stop();
    } finally {
      lab.sysctl(c, 'net.ipv4.conf.eth0.drop_gratuitous_arp', 0);
    }
  });

  it('VLAN: addresses restricted to VLAN 100 are answered with tagged replies only to tagged requests', async () => {
    await p1.command({ cmd: 'announce', key: 'default/vlan', ip: VLAN_VIP, interfaces: ['eth0.100'] });
    await p1.command({ cmd: 'announce', key: 'default/vlan', ip: '2001:db8:100::100', interfaces: ['eth0.100'] });
    const before = (await p1.command({ cmd: 'stats' }))['stats'] as { responses: number; drops: Record<string, number> };
    const base = { ifName: 'eth0', mode: 'probe', timeoutMs: 1000 };
    const v4 = await lab.client(c, client, { ...base, family: 4, target: VLAN_VIP, sender: '203.0.113.2', vid: 100, count: 3 });
    expect([v4.received, v4.macs, v4.vids]).toEqual([3, [R1], [100]]);
    const v6 = await lab.client(c, client, { ...base, family: 6, target: '2001:db8:100::100', sender: '2001:db8:100::2', vid: 100, count: 3 });
    expect([v6.received, v6.macs, v6.vids]).toEqual([3, [R1], [100]]);
    const otherVlan = await lab.client(c, client, { ...base, family: 4, target: VLAN_VIP, sender: '203.0.113.2', vid: 200, count: 2 });
    expect(otherVlan.received).toBe(0);
    expect(arping(lab, c, 'eth0', VLAN_VIP, 2).received).toBe(0); // untagged
    const after = (await p1.command({ cmd: 'stats' }))['stats'] as { responses: number; drops: Record<string, number> };
    expect(after.responses - before.responses).toBe(6);
    expect(after.drops['unknown-vlan']! - before.drops['unknown-vlan']!).toBe(2);
    expect(after.drops['wrong-interface']! - before.drops['wrong-interface']!).toBeGreaterThanOrEqual(2);
  });

  it('two interfaces: each answers with its own MAC, and a restriction keeps an address off the other', async () => {
    await p1.command({ cmd: 'announce', key: 'default/two', ip: '203.0.113.200', interfaces: ['eth1'] });
    const viaEth1 = arping(lab, c2, 'eth0', VIP, 2);
    expect(viaEth1.macs).toEqual([R1_ETH1, R1_ETH1]);
    const viaEth0 = arping(lab, c, 'eth0', VIP, 2);
    expect(viaEth0.macs).toEqual([R1, R1]);
    expect(arping(lab, c2, 'eth0', '203.0.113.200', 2).macs).toEqual([R1_ETH1, R1_ETH1]);
    expect(arping(lab, c, 'eth0', '203.0.113.200', 1).received).toBe(0);
  });

  it('carrier down on an interface: reported and silent there; carrier up: answering again with a gratuitous round at once', async () => {
    const from = p1.events.length;
    lab.ip('-n', c2, 'link', 'set', 'eth0', 'down'); // r1's eth1 (the veth peer) loses carrier
    await p1.waitFor((e) => e.event === 'link' && e['name'] === 'eth1' && e['change'] === 'carrier-down', 15_000, from);
    await p1.waitFor((e) => e.event === 'link' && e['name'] === 'eth1' && e['change'] === 'silent', 15_000, from);
    const links = (await p1.command({ cmd: 'links' }))['links'] as { name: string; up: boolean; carrier: boolean; use: { reason?: string } }[];
    expect(links.find((l) => l.name === 'eth1')).toMatchObject({ up: true, carrier: false, use: { reason: 'no-carrier' } });
    expect(((await p1.command({ cmd: 'stats' }))['interfaces'] as string[]).includes('eth1')).toBe(false);
    const back = p1.events.length;
    lab.ip('-n', c2, 'link', 'set', 'eth0', 'up');
    await p1.waitFor((e) => e.event === 'link' && e['name'] === 'eth1' && e['change'] === 'carrier-up', 15_000, back);
    await p1.waitFor((e) => e.event === 'link' && e['name'] === 'eth1' && e['change'] === 'answering', 15_000, back);
    await p1.waitFor((e) => e.event === 'gratuitous' && e['ifName'] === 'eth1' && e['ip'] === '203.0.113.200', 15_000, back);
    expect(arping(lab, c2, 'eth0', '203.0.113.200', 2).macs).toEqual([R1_ETH1, R1_ETH1]);
  });

  it('releasing an address stops the answers', async () => {
    await p1.command({ cmd: 'withdraw', key: 'default/web' });
    expect(arping(lab, c, 'eth0', VIP, 2).received).toBe(0);
    expect(ndisc6(lab, c, 'eth0', VIP6).mac).toBeUndefined();
    expect(arping(lab, c2, 'eth0', '203.0.113.200', 1).received).toBe(1); // others keep working
  });

  it('reports a vanished interface as interface-gone and keeps serving the others', async () => {
    const from = p1.events.length;
    lab.ip('-n', r1, 'link', 'del', 'eth1');
    const ev = await p1.waitFor((e) => e.event === 'error' && e['kind'] === 'interface-gone', 15_000, from);
    expect(ev['ifName']).toBe('eth1');
    expect(String(ev['message'])).toMatch(/eth1/);
    await p1.command({ cmd: 'announce', key: 'default/web', ip: VIP });
    expect(arping(lab, c, 'eth0', VIP, 1).received).toBe(1);
    const st = await p1.command({ cmd: 'stats' });
    expect(st['interfaces']).not.toContain('eth1');
  });

  it('a new interface is answered on through netlink, without waiting for a scan', async () => {
    // Regression (issue 15 §7): this asserted "within 5 s of wall time" against a 10 s scan, a
    // timed assertion that a loaded machine could break and a scan falling inside the 5 s could
    // pass without netlink. p1 never scans during the suite (scanIntervalMs above), so seeing eth2
    // at all proves netlink; the bound is only a generous upper limit.
    lab.wire(r1, 'eth2', '02:00:00:00:02:02', ['203.0.113.131/25'], c2, 'eth1', '02:00:00:00:02:0d', ['203.0.113.132/25']);
    let ifs: string[] = [];
    await waitFor(
      'p1 to answer on eth2',
      async () => {
        ifs = (await p1.command({ cmd: 'stats' }))['interfaces'] as string[];
        return ifs.includes('eth2');
      },
      30_000,
    );
    expect(ifs).toContain('eth2');
    expect(arping(lab, c2, 'eth1', VIP, 1).macs).toEqual(['02:00:00:00:02:02']);
  });

  it('reports a conflict when another node answers for an address we announce', async () => {
    await p1.command({ cmd: 'announce', key: 'default/web', ip: VIP6 });
    const from = p1.events.length;
    const p2 = lab.responder(r2, script, { announce: [{ key: 'default/web', ip: VIP }, { key: 'default/web', ip: VIP6 }] });
    const v4 = await p1.waitFor((e) => e.event === 'conflict' && e['ip'] === VIP, 15_000, from);
    expect([v4['mac'], v4['ifName']]).toEqual([R2, 'eth0']);
    expect(['arp-gratuitous', 'arp-reply']).toContain(v4['via']);
    const v6 = await p1.waitFor((e) => e.event === 'conflict' && e['ip'] === VIP6, 15_000, from);
    expect([v6['mac'], v6['via']]).toEqual([R2, 'ndp-advertisement']);
    await p2.stop();
  });

  it('fails clearly for a missing interface and without CAP_NET_RAW', async () => {
    const gone = lab.responder(r2, script, { interfaces: ['nope0'] });
    const g = await gone.waitFor((e) => e.event === 'fatal');
    expect(g['kind']).toBe('interface-gone');
    expect(String(g['message'])).toContain('interface "nope0" does not exist');
    const noraw = lab.responder(r2, script, { interfaces: ['eth0'] }, ['setpriv', '--inh-caps=-net_raw', '--bounding-set=-net_raw', '--']);
    const f = await noraw.waitFor((e) => e.event === 'fatal');
    expect(f['kind']).toBe('permission');
    expect(String(f['message'])).toMatch(/needs CAP_NET_RAW/);
    expect(await noraw.exited).toBe(2);
  });
});
