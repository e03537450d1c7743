/**
 * The Go memberlist peer: built once per machine with /usr/local/go (pinned hashicorp/memberlist
 * from the module proxy), cached outside the clone; two peers in two namespaces join each other.
 */
import { existsSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { buildGoMemberlistPeer, cacheRoot, goBinaryPath, memberlistPeerProgram, memberlistVersion } from '../src/go.js';
import { Lab } from '../src/netns.js';
import { startGoPeer, type PeerProcess } from '../src/peers.js';
import { labDescribe } from '../src/vitest.js';

labDescribe('Go memberlist peer', ['ip', '/usr/local/go/bin/go'])('Go memberlist peer', () => {
  const lab = new Lab('tlgo');
  const procs: PeerProcess[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL', 1000)));
    await lab.cleanup();
  });

  it('builds into the per-machine cache keyed by the pinned version and source hash, once', async () => {
    const bin = await buildGoMemberlistPeer();
    expect(bin).toBe(await goBinaryPath(memberlistPeerProgram()));
    expect(bin.startsWith(`${cacheRoot()}/go-memberlist-peer/memberlist-${memberlistVersion()}-`)).toBe(true);
    expect(bin.startsWith(process.cwd())).toBe(false);
    expect(existsSync(bin)).toBe(true);
    const t0 = Date.now();
    expect(await buildGoMemberlistPeer()).toBe(bin);
    expect(Date.now() - t0).toBeLessThan(2000);
  }, 600_000);

  it('two peers in two namespaces join and see each other', async () => {
    const bin = await buildGoMemberlistPeer();
    const sw = lab.switch('sw');
    const a = lab.ns('a');
    const b = lab.ns('b');
    lab.plug(sw, a, 'eth0', undefined, ['198.51.100.21/24']);
    lab.plug(sw, b, 'eth0', undefined, ['198.51.100.22/24']);
    const pa = startGoPeer(bin, 'a', ['-bind', '198.51.100.21', '-port', '7946', '-seconds', '60'], { netns: a });
    procs.push(pa);
    await pa.waitLine((l) => l.event === 'start', { what: 'start' });
    const pb = startGoPeer(bin, 'b', ['-bind', '198.51.100.22', '-port', '7946', '-join', '198.51.100.21:7946', '-seconds', '60'], { netns: b });
    procs.push(pb);
    await pb.waitLine((l) => l.event === 'join' && l.node === 'a', { what: 'join of a' });
    await pa.waitLine((l) => l.event === 'join' && l.node === 'b', { what: 'join of b' });
  });
});
