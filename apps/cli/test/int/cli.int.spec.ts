/**
 * The built CLI as a user runs it: `--help` everywhere, `election order` against SHA-256
 * orderings computed here with node:crypto, and the bad-arguments contract (one line on
 * stderr, non-zero exit). Needs no root except the port-in-use case, which only binds 127.0.40.x.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLI, cliSync, randomPort, REPO } from './harness.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** MetalLB's rule, independently: score descending, then sha256("<node>#<ip>") ascending by hex. */
function expected(ip: string, nodes: string[], scores: Record<string, number> = {}): string[] {
  return [...new Set(nodes)].sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || (sha(`${a}#${ip}`) < sha(`${b}#${ip}`) ? -1 : 1));
}

describe('the built metallb-ts', () => {
  it('exists with the native addon beside it (test-int depends on build)', () => {
    expect(existsSync(CLI)).toBe(true);
    expect(existsSync(CLI.replace(/main\.mjs$/, 'arp_responder.node'))).toBe(true);
    expect(existsSync(CLI.replace(/main\.mjs$/, 'tcp_md5.node'))).toBe(true);
  });

  it('the package bin (apps/cli/bin/metallb-ts.mjs) runs the bundle', () => {
    const r = spawnSync(`${REPO}/apps/cli/bin/metallb-ts.mjs`, ['election', 'order', '--ip', '198.51.100.10', '--nodes', 'a,b,c'], { encoding: 'utf8', env: { ...process.env, PATH: `${process.execPath.replace(/\/node$/, '')}:${process.env['PATH'] ?? ''}` } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(cliSync(['election', 'order', '--ip', '198.51.100.10', '--nodes', 'a,b,c']).stdout);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['a', 'b', 'c']);
  });

  it.each([
    [['--help'], /bgp announce/],
    [['bgp', 'announce', '--help'], /--peer-asn N/],
    [['l2', 'respond', '--help'], /--gratuitous/],
    [['memberlist', 'agent', '--help'], /--secret-key-path FILE/],
    [['election', 'order', '--help'], /--scores A=100,B=50/],
  ])('%j prints usage on stdout, exit 0', (argv, re) => {
    const r = cliSync(argv);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(re);
    expect(r.stderr).toBe('');
  });
});

describe('election order (built CLI) against independently computed SHA-256 orderings', () => {
  const nodes = Array.from({ length: 12 }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
  it.each(['198.51.100.10', '203.0.113.7', '2001:db8::10', '2001:db8:1::ffff'])('orders %s', (ip) => {
    const r = cliSync(['election', 'order', '--ip', ip, '--nodes', nodes.join(',')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected(ip, nodes).map((n) => `${n}\n`).join(''));
  });
  it('ranks an IPv6 address by its canonical text form', () => {
    const r = cliSync(['election', 'order', '--ip', '2001:DB8::0010', '--nodes', nodes.join(',')]);
    expect(r.stdout).toBe(expected('2001:db8::10', nodes).map((n) => `${n}\n`).join(''));
  });
  it('puts higher scores first, the rest by hash', () => {
    const scores = { 'node-c': 100, 'node-k': 50, 'node-a': 50 };
    const r = cliSync(['election', 'order', '--ip', '198.51.100.10', '--nodes', nodes.join(','), '--scores', 'node-c=100,node-k=50,node-a=50']);
    const got = r.stdout.trim().split('\n');
    expect(got).toEqual(expected('198.51.100.10', nodes, scores));
    expect(got[0]).toBe('node-c');
  });
});

describe('bad arguments: exactly one clear line on stderr, non-zero exit', () => {
  const BGP = ['bgp', 'announce', '--local-address', '127.0.40.30', '--local-asn', '64512', '--peer-address', '127.0.40.1', '--peer-port', '1', '--peer-asn', '64513'];
  const oneLine = (r: { status: number | null; stdout: string; stderr: string }) => {
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBeNull();
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    return r.stderr.trimEnd();
  };
  it('--route 203.0.113.0/33', () => {
    expect(oneLine(cliSync([...BGP, '--route', '203.0.113.0/33,next-hop=198.51.100.1']))).toMatch(/^metallb-ts: bgp announce: --route 203\.0\.113\.0\/33,next-hop=198\.51\.100\.1: .*\/33/);
  });
  it('missing --peer-asn', () => {
    expect(oneLine(cliSync(BGP.filter((x, i, a) => x !== '--peer-asn' && a[i - 1] !== '--peer-asn')))).toBe('metallb-ts: bgp announce: --peer-asn is required');
  });
  it('an unknown flag and an unknown command', () => {
    expect(oneLine(cliSync([...BGP, '--colour']))).toBe("metallb-ts: bgp announce: Unknown option '--colour'");
    expect(oneLine(cliSync(['ospf', 'speak']))).toMatch(/unknown command "ospf"/);
  });
  it('an unknown interface (checked before any socket is opened)', () => {
    expect(oneLine(cliSync(['l2', 'respond', '--interface', 'mtsnosuch0', '--ip', '198.51.100.10']))).toBe('metallb-ts: l2 respond: --interface mtsnosuch0: no such interface');
  });
  it('bgp announce --local-port already in use', async () => {
    const port = randomPort();
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(port, '127.0.40.30', () => r()));
    try {
      expect(oneLine(cliSync([...BGP, '--local-port', String(port)]))).toBe(`metallb-ts: bgp announce: --local-port ${port}: 127.0.40.30:${port} is already in use`);
    } finally {
      srv.close();
    }
  });
  it('an IP that is not a number', () => {
    expect(oneLine(cliSync(['election', 'order', '--ip', '198.51.100.300', '--nodes', 'a']))).toMatch(/^metallb-ts: election order: --ip "198\.51\.100\.300": /);
  });
});
