import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './cli.js';
import type { Io } from './io.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const events: Array<Record<string, unknown>> = [];
  const io: Io = {
    emit: (event, f = {}) => events.push({ event, ...f }),
    out: (t) => out.push(t),
    log: (m) => err.push(m),
    error: (l) => err.push(l),
  };
  return { io, out, err, events };
}

describe('metallb-ts dispatch', () => {
  it('prints the top-level help (exit 0 with --help, 2 with nothing)', async () => {
    const c = capture();
    expect(await run(['--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/bgp announce[\s\S]*l2 respond[\s\S]*memberlist agent[\s\S]*election order/);
    expect(await run([], capture().io)).toBe(2);
  });
  it.each([
    [['bgp', 'announce', '--help'], /--local-address ADDR/],
    [['l2', 'respond', '--help'], /--interface IF/],
    [['memberlist', 'agent', '--help'], /--bind ADDR:PORT/],
    [['election', 'order', '--help'], /--nodes A,B,C/],
  ])('%j prints usage and exits 0', async (argv, re) => {
    const c = capture();
    expect(await run(argv, c.io)).toBe(0);
    expect(c.out.join('')).toMatch(re);
    expect(c.err).toEqual([]);
  });
  it.each([
    [['frob'], 'metallb-ts: unknown command "frob" (bgp, l2, memberlist, election; see --help)'],
    [['bgp', 'listen'], 'metallb-ts: unknown subcommand "bgp listen" (announce)'],
    [['bgp', 'announce', '--local-address', '127.0.40.1', '--local-asn', '64512', '--peer-address', '127.0.40.2'], 'metallb-ts: bgp announce: --peer-asn is required'],
    [['election', 'order', '--ip', 'x', '--nodes', 'a'], /^metallb-ts: election order: --ip "x": /],
  ])('%j: exactly one line on stderr, exit 2', async (argv, want) => {
    const c = capture();
    expect(await run(argv, c.io)).toBe(2);
    expect(c.err).toHaveLength(1);
    if (typeof want === 'string') expect(c.err[0]).toBe(want);
    else expect(c.err[0]).toMatch(want);
    expect(c.out).toEqual([]);
  });
});

describe('election order', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  it('orders by SHA-256("node#ip") ascending, computed independently', async () => {
    const nodes = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
    const want = [...nodes].sort((x, y) => (sha(`${x}#198.51.100.10`) < sha(`${y}#198.51.100.10`) ? -1 : 1));
    const c = capture();
    expect(await run(['election', 'order', '--ip', '198.51.100.10', '--nodes', nodes.join(',')], c.io)).toBe(0);
    expect(c.out.join('')).toBe(want.map((n) => `${n}\n`).join(''));
  });
  it('puts higher scores first and explains with --explain', async () => {
    const c = capture();
    expect(await run(['election', 'order', '--ip', '2001:db8::10', '--nodes', 'a,b,c', '--scores', 'c=7', '--explain'], c.io)).toBe(0);
    const rows = c.out.join('').trim().split('\n').map((l) => JSON.parse(l) as { node: string; score: number; digest: string });
    expect(rows[0]).toEqual({ node: 'c', score: 7, digest: sha('c#2001:db8::10') });
    expect(rows.slice(1).map((r) => r.digest)).toEqual(['a', 'b'].map((n) => sha(`${n}#2001:db8::10`)).sort());
  });
});

describe('memberlist agent: an empty secret is refused (issue 15 §6)', () => {
  it.each([[''], ['  \n'], ['\n']])('secret file %j → exit 2, one line, nothing bound', async (content) => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-secret-'));
    try {
      const file = join(dir, 'secretkey');
      writeFileSync(file, content);
      // both forms MetalLB accepts: the file, and the directory holding "secretkey"
      for (const path of [file, dir]) {
        const c = capture();
        expect(await run(['memberlist', 'agent', '--name', 'a', '--bind', '127.0.40.250:0', '--secret-key-path', path], c.io)).toBe(2);
        expect(c.err).toHaveLength(1);
        expect(c.err[0]).toMatch(new RegExp(`^metallb-ts: memberlist agent: --secret-key-path ${path.replace(/[/.]/g, '\\$&')}: the secret is (empty|only whitespace), so anyone could derive the key`));
        expect(c.events).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a missing secret file is a usage error too', async () => {
    const c = capture();
    expect(await run(['memberlist', 'agent', '--name', 'a', '--bind', '127.0.40.250:0', '--secret-key-path', '/nonexistent/secret'], c.io)).toBe(2);
    expect(c.err).toEqual(['metallb-ts: memberlist agent: --secret-key-path /nonexistent/secret: no such file']);
  });
});
