/**
 * Interop: the announcer order computed by @metallb-ts/election against a Go program that uses
 * Go's own net.ParseIP / net.IP.String, crypto/sha256 and sort (test/go-oracle/main.go), i.e.
 * against the exact text forms and byte order a Go MetalLB speaker hashes. Built once per machine
 * with the lab's Go toolchain (/usr/local/go, @metallb-ts/test-lab `buildGoProgram`); skips with
 * a message without it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGoProgram, goSkipReason } from '@metallb-ts/test-lab';
import { announcerOrder, electionKey } from '../src/index.js';

const NO_GO = goSkipReason();
const GO = NO_GO === undefined;
if (!GO) console.warn(`[election go-oracle] skipped: ${NO_GO}`);

describe.skipIf(!GO)('announcer order matches Go (net.IP.String + sha256 + sort)', () => {
  let proc: ChildProcessWithoutNullStreams;
  let lines: AsyncIterator<string>;

  beforeAll(async () => {
    const bin = await buildGoProgram({ name: 'go-election-oracle', dir: join(import.meta.dirname, 'go-oracle'), bin: 'oracle' });
    proc = spawn(bin, [], { stdio: 'pipe' });
    lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }, 600_000);

  afterAll(() => {
    proc?.stdin.end();
    proc?.kill();
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
