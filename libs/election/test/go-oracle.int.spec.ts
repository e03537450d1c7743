/**
 * Interop: the announcer order computed by @metallb-ts/election against a Go program that uses
 * Go's own net.ParseIP / net.IP.String, crypto/sha256 and sort (test/go-oracle/main.go), i.e.
 * against the exact text forms and byte order a Go MetalLB speaker hashes. Needs the `go` tool
 * (Debian golang-go, in tools/system-deps.txt); skips with a message without it.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcerOrder, electionKey } from '../src/index.js';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const GO = hasGo();
if (!GO) console.warn('[election go-oracle] skipped: the `go` tool is not installed (apt-get install golang-go)');

describe.skipIf(!GO)('announcer order matches Go (net.IP.String + sha256 + sort)', () => {
  let dir: string;
  let proc: ChildProcessWithoutNullStreams;
  let lines: AsyncIterator<string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mts-election-go-'));
    execFileSync('go', ['build', '-o', join(dir, 'oracle'), join(import.meta.dirname, 'go-oracle', 'main.go')], {
      env: { ...process.env, GO111MODULE: 'off', GOCACHE: join(dir, 'cache') },
      stdio: 'pipe',
      timeout: 300_000,
    });
    proc = spawn(join(dir, 'oracle'), [], { stdio: 'pipe' });
    lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  });

  afterAll(() => {
    proc?.stdin.end();
    proc?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function goOrder(ip: string, nodes: string[], scores: Record<string, number> = {}): Promise<{ order: string[]; key: string }> {
    proc.stdin.write(`${JSON.stringify({ ip, nodes, scores })}\n`);
    const next = await lines.next();
    if (next.done) throw new Error('go oracle exited');
    const r = JSON.parse(next.value) as { order: string[]; key: string; error?: string };
    if (r.error) throw new Error(`go oracle: ${r.error} for ${ip}`);
    return r;
  }

  it('hand-picked text forms', async () => {
    for (const ip of ['198.51.100.10', '::ffff:198.51.100.1', '::198.51.100.1', '64:ff9b::203.0.113.9', '2001:DB8:0:0:1:0:0:1', '2001:0:0:1::1', '::', '::1', 'fe80::1']) {
      const nodes = ['node-a', 'node-b', 'node-c', 'node-d'];
      const go = await goOrder(ip, nodes);
      expect(electionKey('x', ip)).toBe(`x#${go.key}`);
      expect(announcerOrder(ip, nodes)).toEqual(go.order);
    }
  });

  it('random IPs, node names and preference scores (2 000 cases)', async () => {
    const v4 = fc.ipV4();
    const tails = fc.tuple(fc.constantFrom('::', '::ffff:', '64:ff9b::', '2001:db8::'), v4).map(([h, t]) => h + t);
    const ip = fc.oneof(v4, fc.ipV6(), tails);
    const nodeName = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/), fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }));
    await fc.assert(
      fc.asyncProperty(ip, fc.uniqueArray(nodeName, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }), async (addr, nodes, w) => {
        const scores = Object.fromEntries(nodes.map((n, i) => [n, w[i]! * 50]));
        const go = await goOrder(addr, nodes, scores);
        expect(announcerOrder(addr, nodes, scores)).toEqual(go.order);
        expect(electionKey('n', addr)).toBe(`n#${go.key}`);
      }),
      { numRuns: 2000 },
    );
  });
});
