/**
 * `metallb-ts l2 respond` (the built CLI, with the addon copied beside it) in its own network
 * namespaces: the responder in `tlcli-<pid>-r`, a client in `tlcli-<pid>-c` on a veth pair;
 * `arping` and `ndisc6` from the client get the responder interface's MAC for the owned
 * addresses, which no interface carries.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Lab } from '@metallb-ts/test-lab';
import { CliProc, cliSync, labDescribe, sleep, waitFor } from './harness.js';

const RESP_MAC = '02:00:00:40:00:01';
const CLIENT_MAC = '02:00:00:40:00:02';
const VIP = '198.51.100.10';
const VIP6 = '2001:db8::10';

const netns = new Lab('cli');
const procs: CliProc[] = [];
let r = '';
let c = '';

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
});
afterAll(() => netns.cleanup());

function arping(target: string, count = 2): { received: number; macs: string[]; out: string } {
  const res = netns.run(c, ['arping', '-c', String(count), '-w', String(count + 2), '-I', 'eth0', target]);
  const macs = [...res.out.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
  const rec = /Received (\d+) response/.exec(res.out);
  return { received: rec ? Number(rec[1]) : 0, macs, out: res.out };
}
function ndisc6(target: string): string | undefined {
  const res = netns.run(c, ['ndisc6', '-1', '-r', '2', '-w', '500', target, 'eth0']);
  return /Target link-layer address: ([0-9A-Fa-f:]{17})/.exec(res.out)?.[1]?.toLowerCase();
}
function neigh(ip: string): string | undefined {
  return /lladdr ([0-9a-f:]{17})/.exec(netns.run(c, ['ip', 'neigh', 'show', ip, 'dev', 'eth0']).out)?.[1];
}

labDescribe('l2 respond', ['ip', 'arping', 'ndisc6'])('l2 respond in network namespaces', () => {
  beforeAll(() => {
    r = netns.ns('r');
    c = netns.ns('c');
    netns.wire(r, 'eth0', RESP_MAC, ['198.51.100.1/24', '2001:db8::1/64'], c, 'eth0', CLIENT_MAC, ['198.51.100.2/24', '2001:db8::2/64']);
    // the client learns neighbours from gratuitous ARP (so --gratuitous is observable)
    netns.run(c, ['sysctl', '-qw', 'net.ipv4.conf.eth0.arp_accept=1']);
  });

  it('nobody answers for the VIP before the CLI runs', () => {
    expect(arping(VIP, 1).received).toBe(0);
  });

  it('answers arping and ndisc6 with the interface MAC, emits reply events, exits 0 on SIGTERM', async () => {
    const p = new CliProc(['l2', 'respond', '--interface', 'eth0', '--ip', VIP, '--ip', VIP6], { netns: r });
    procs.push(p);
    await p.waitEvent('ready', (e) => e.event === 'ready');
    await sleep(300);
    expect(neigh(VIP)).toBeUndefined(); // no takeover burst without --gratuitous
    const a = arping(VIP, 2);
    expect(a.received, a.out).toBe(2);
    expect(new Set(a.macs)).toEqual(new Set([RESP_MAC]));
    expect(await waitFor('ndisc6 answered', () => ndisc6(VIP6), 15_000, 200)).toBe(RESP_MAC);
    await p.waitEvent('arp reply event', (e) => e.event === 'reply' && e['ip'] === VIP && e['to'] === CLIENT_MAC && e['proto'] === 'arp');
    await p.waitEvent('ndp reply event', (e) => e.event === 'reply' && e['ip'] === VIP6 && e['to'] === CLIENT_MAC && e['proto'] === 'ndp');
    expect(arping('198.51.100.11', 1).received).toBe(0); // not ours
    expect(await p.stop('SIGTERM')).toBe(0);
    expect(p.events.at(-1)).toMatchObject({ event: 'exit', signal: 'SIGTERM' });
    for (const e of p.events) expect(new Date(e.ts).toISOString()).toBe(e.ts);
    netns.run(c, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    expect(arping(VIP, 1).received).toBe(0); // stopped answering
  });

  it('--gratuitous sends the takeover burst at start (the client learns the VIP unasked)', async () => {
    netns.run(c, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    const p = new CliProc(['l2', 'respond', '--interface', 'eth0', '--ip', VIP, '--gratuitous'], { netns: r });
    procs.push(p);
    await p.waitEvent('ready', (e) => e.event === 'ready');
    // Waits here are upper bounds on events (issue 15 §7: 5 s was tight on a loaded 2-core machine).
    expect(await waitFor('neighbour entry from gratuitous ARP', () => neigh(VIP), 15_000, 100)).toBe(RESP_MAC);
    expect(await p.stop('SIGINT')).toBe(0);
  });

  it('reports a conflict when another host claims the VIP (gratuitous ARP from the client)', async () => {
    const p = new CliProc(['l2', 'respond', '--interface', 'eth0', '--ip', VIP], { netns: r });
    procs.push(p);
    await p.waitEvent('ready', (e) => e.event === 'ready');
    netns.ip('-n', c, 'addr', 'add', `${VIP}/32`, 'dev', 'eth0');
    try {
      const res = netns.run(c, ['arping', '-U', '-c', '1', '-I', 'eth0', '-s', VIP, VIP]);
      const ev = await p.waitEvent(`conflict event (arping: ${res.out.trim()})`, (e) => e.event === 'conflict', 15_000);
      expect(ev).toMatchObject({ ip: VIP, mac: CLIENT_MAC, interface: 'eth0' });
      expect(p.stderr).toMatch(/conflict/);
    } finally {
      netns.ip('-n', c, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0');
    }
    expect(await p.stop('SIGTERM')).toBe(0);
  });

  it('an unknown interface: one clear line, exit 2', () => {
    const res = cliSync(['l2', 'respond', '--interface', 'nosuch9', '--ip', VIP], { netns: r });
    expect(res.status).toBe(2);
    expect(res.stderr).toBe('metallb-ts: l2 respond: --interface nosuch9: no such interface\n');
    expect(res.stdout).toBe('');
  });
});
