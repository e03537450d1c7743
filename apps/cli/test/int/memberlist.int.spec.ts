/**
 * `metallb-ts memberlist agent` (the built CLI) in a mixed cluster with the real
 * hashicorp/memberlist Go peer on 127.0.40.20–.29, encrypted with a MetalLB secret file:
 * joins are seen on both sides, and SIGTERM makes a graceful leave (a `leave`, not a `dead`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildGoMemberlistPeer, goSkipReason, isRoot } from '@metallb-ts/test-lab';
import { CliProc, cliSync, GoPeer, labDescribe, randomPort, type CliEvent } from './harness.js';

const SECRET = 'metallb-ts-cli-test-secret';
const procs: CliProc[] = [];
let dir = '';
let bin = '';
let skip: string | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mtscli-ml-'));
  writeFileSync(join(dir, 'secretkey'), SECRET);
  const why = goSkipReason();
  // as root a missing toolchain is a setup error, not a skip
  if (why && !isRoot) skip = `Go peer unavailable: ${why}`;
  else bin = await buildGoMemberlistPeer();
}, 300_000);
afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

const agent = (name: string, args: string[]) => {
  const p = new CliProc(['memberlist', 'agent', '--name', name, ...args]);
  procs.push(p);
  return p;
};
const ev = (type: string, node: string) => (e: CliEvent) => e.event === type && e['node'] === node;

labDescribe('memberlist agent', ['go'])('memberlist agent', () => {
  it('joins a cluster with the Go peer (encrypted), sees the others, leaves gracefully on SIGTERM', async (ctx) => {
    if (skip) ctx.skip(skip);
    const goPort = randomPort();
    const go = new GoPeer(bin, 'go1', ['-bind', '127.0.40.20', '-port', String(goPort), '-secret', SECRET, '-seconds', '120']);
    procs.push(go);
    await go.waitEvent('go peer start', (e) => e.event === 'start');
    const a = agent('cli1', ['--bind', `127.0.40.21:${randomPort()}`, '--join', `127.0.40.20:${goPort}`, '--secret-key-path', dir, '--meta', 'rack=a']);
    await a.waitEvent('cli1 sees go1 join', ev('join', 'go1'));
    // The member's join event can precede the `joined` result line (push/pull completes first).
    expect(await a.waitEvent('cli1 reports joined', (e) => e.event === 'joined')).toMatchObject({ contacted: 1 });
    expect(a.events.find(ev('join', 'go1'))!['addr']).toBe(`127.0.40.20:${goPort}`);
    const goSaw = await go.waitEvent('go1 sees cli1 join', ev('join', 'cli1'));
    expect(goSaw['meta']).toBe('rack=a');

    const bPort = randomPort();
    const b = agent('cli2', ['--bind', `127.0.40.22:${bPort}`, '--join', `127.0.40.21:${(a.events.find((e) => e.event === 'start')!['addr'] as string).split(':')[1]}`, '--secret-key-path', join(dir, 'secretkey')]);
    await b.waitEvent('cli2 sees go1', ev('join', 'go1'));
    await b.waitEvent('cli2 sees cli1', ev('join', 'cli1'));
    await go.waitEvent('go1 sees cli2', ev('join', 'cli2'));

    expect(await a.stop('SIGTERM')).toBe(0);
    expect(a.events.at(-1)).toMatchObject({ event: 'exit', signal: 'SIGTERM' });
    // a graceful leave is reported as `leave` (a failure would be `dead`): the event type tells
    // them apart, so the waits are generous upper bounds (they were 5 s, tight on a loaded machine).
    const left = await b.waitEvent('cli2 sees cli1 leave', (e) => (e.event === 'leave' || e.event === 'dead') && e['node'] === 'cli1', 20_000);
    expect(left.event).toBe('leave');
    await go.waitEvent('go1 sees cli1 leave', ev('leave', 'cli1'), 20_000);
    expect(await b.stop('SIGINT')).toBe(0);
    for (const p of [a, b]) {
      expect(p.badLines).toEqual([]);
      for (const e of p.events) expect(new Date(e.ts).toISOString()).toBe(e.ts);
    }
  });

  it('without the secret the encrypted cluster cannot be joined (join error event, keeps running)', async (ctx) => {
    if (skip) ctx.skip(skip);
    const goPort = randomPort();
    const go = new GoPeer(bin, 'go2', ['-bind', '127.0.40.23', '-port', String(goPort), '-secret', SECRET, '-seconds', '60']);
    procs.push(go);
    await go.waitEvent('go peer start', (e) => e.event === 'start');
    const a = agent('cli3', ['--bind', `127.0.40.24:${randomPort()}`, '--join', `127.0.40.23:${goPort}`]);
    const j = await a.waitEvent('join result', (e) => e.event === 'joined', 20_000);
    expect(j['contacted']).toBe(0);
    expect(String(j['error'])).not.toBe('');
    expect(a.running).toBe(true);
    expect(await a.stop('SIGTERM')).toBe(0);
  });

  it('a port in use: one clear line, exit 2', async () => {
    const port = randomPort();
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(port, '127.0.40.25', () => r()));
    try {
      const res = cliSync(['memberlist', 'agent', '--name', 'x', '--bind', `127.0.40.25:${port}`]);
      expect(res.status).toBe(2);
      expect(res.stderr).toBe(`metallb-ts: memberlist agent: --bind 127.0.40.25:${port}: address already in use\n`);
    } finally {
      srv.close();
    }
  });
});
