/**
 * The lab's router: FRR (zebra + bgpd from Debian's `frr`) in the router namespace, peered with
 * every node (the nodes dial it, it stays passive), multipath on so a Service announced by every
 * node becomes one route with a next hop per node in the router's kernel table (ECMP), and
 * graceful restart on (a restarting speaker's routes are kept while it comes back).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { attempt, inNs, must, spawnDaemon, type ProcRecord } from './sys.js';
import { ASN, type Topology } from './topology.js';

/** FRR's daemons on Debian. */
export const FRR_DIR = '/usr/lib/frr';

/** zebra's configuration. */
export const ZEBRA_CONFIG = 'frr defaults traditional\nhostname lab-router\nlog stdout informational\nip forwarding\nipv6 forwarding\n';

/** The router's `bgpd.conf`. Pure. */
export function routerConfig(t: Topology): string {
  const out = [
    'frr defaults traditional',
    'hostname lab-router',
    'log stdout informational',
    `router bgp ${ASN.router}`,
    ` bgp router-id ${t.router.v4}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ' bgp graceful-restart',
    ' bgp bestpath as-path multipath-relax',
    ' timers bgp 3 9',
  ];
  for (const n of t.nodes) {
    for (const a of [n.v4, n.v6]) {
      out.push(` neighbor ${a} remote-as ${ASN.nodes}`, ` neighbor ${a} passive`, ` neighbor ${a} description ${n.name}`, ` neighbor ${a} timers connect 1`);
    }
  }
  out.push(' address-family ipv4 unicast', '  maximum-paths 16');
  for (const n of t.nodes) out.push(`  no neighbor ${n.v6} activate`);
  out.push(' exit-address-family', ' address-family ipv6 unicast', '  maximum-paths 16');
  for (const n of t.nodes) out.push(`  neighbor ${n.v6} activate`);
  out.push(' exit-address-family', 'exit', '');
  return out.join('\n');
}

/** Whether FRR is installed. */
export function haveFrr(): boolean {
  return existsSync(join(FRR_DIR, 'bgpd')) && existsSync(join(FRR_DIR, 'zebra'));
}

/** Starts zebra and bgpd in the router namespace with `dir` holding config, sockets and logs. */
export function startRouter(t: Topology, dir: string, write: (file: string, text: string) => void): ProcRecord[] {
  write(join(dir, 'zebra.conf'), ZEBRA_CONFIG);
  write(join(dir, 'bgpd.conf'), routerConfig(t));
  // zebra has no --skip_runas: it runs as Debian's `frr` user, which must own its directory
  attempt(['chown', '-R', 'frr:frr', dir]);
  const common = ['--vty_socket', dir, '-z', join(dir, 'zserv.api'), '--log', 'stdout', '-P', '0'];
  const zebra = spawnDaemon('zebra', [join(FRR_DIR, 'zebra'), '-f', join(dir, 'zebra.conf'), ...common, '-i', join(dir, 'zebra.pid')], join(dir, 'zebra.log'), t.router.ns);
  const bgpd = spawnDaemon('bgpd', [join(FRR_DIR, 'bgpd'), '-f', join(dir, 'bgpd.conf'), ...common, '-S', '-i', join(dir, 'bgpd.pid'), '-p', '179'], join(dir, 'bgpd.log'), t.router.ns);
  return [zebra, bgpd];
}

/** `vtysh -c` against the router's daemons. */
export function vtysh(t: Topology, dir: string, command: string, daemon = 'bgpd'): string {
  return must(inNs(t.router.ns, ['vtysh', '--vty_socket', dir, '-d', daemon, '-c', command]), { timeoutMs: 10_000 });
}

/** Whether zebra and bgpd answer. */
export function routerReady(t: Topology, dir: string): boolean {
  return attempt(inNs(t.router.ns, ['vtysh', '--vty_socket', dir, '-d', 'bgpd', '-c', 'show bgp summary json']), { timeoutMs: 5000 }).status === 0
    && attempt(inNs(t.router.ns, ['vtysh', '--vty_socket', dir, '-d', 'zebra', '-c', 'show version']), { timeoutMs: 5000 }).status === 0;
}
