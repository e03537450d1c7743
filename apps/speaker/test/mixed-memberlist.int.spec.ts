/**
 * A mixed memberlist cluster through the speaker's discovery path (issue 17): the bundled speaker
 * on n1 and the Go hashicorp/memberlist peer (v0.5.1, MetalLB's version, built by
 * `@metallb-ts/test-lab`) on n2, both with MetalLB's secret (each derives the AES key itself:
 * first 32 bytes of secret ‖ SHA-256("")). The lab registers n2's speaker Pod (podIP
 * 198.51.100.12, nodeName n2, `app=metallb,component=speaker`); the speaker lists it, joins
 * 198.51.100.12:7946 and both sides see two members. Namespaces `tlspm-<pid>-…`, needs root.
 */
import { deriveMetallbKey } from '@metallb-ts/memberlist';
import { buildGoMemberlistPeer, goSkipReason, isRoot, startGoPeer, waitFor, type PeerLine, type PeerProcess } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ML_SECRET, SpeakerLab } from './lab.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

labDescribe('speaker mixed memberlist', ['ip', 'curl'])('speaker + Go memberlist peer in one cluster (discovery by speaker Pods)', () => {
  let lab: SpeakerLab | undefined;
  let goBin: string | undefined;
  let goPeer: PeerProcess | undefined;

  beforeAll(async () => {
    const why = goSkipReason();
    if (why) throw new Error(`Go peer unavailable: ${why}${isRoot ? ' (running as root: a setup error, see tools/setup.sh)' : ''}`);
    goBin = await buildGoMemberlistPeer();
    lab = await SpeakerLab.start({ tag: 'spm', nodes: 2 });
  }, 300_000);

  afterAll(async () => {
    await goPeer?.stop('SIGTERM', 2000);
    await lab?.stop();
  }, 60_000);

  it('the speaker discovers the Go peer from its Pod, joins it, both list n1 and n2, same derived key', async () => {
    const l = lab!;
    const n2 = l.node('n2');
    // The Go peer plays MetalLB's speaker on n2 (DefaultLANConfig, key from the same secret).
    goPeer = startGoPeer(goBin!, 'n2', ['-bind', n2.v4, '-port', '7946', '-secret', ML_SECRET, '-seconds', '90', '-members', '1', '-leave'], { netns: n2.ns });
    const start = await goPeer.waitFor((x) => x.event === 'start', 15_000, 'Go peer start');
    expect(start['encrypted']).toBe(true);
    const key = await goPeer.waitFor((x) => x.event === 'key', 1_000, 'Go peer key');
    expect(key['hex']).toBe(hex(deriveMetallbKey(ML_SECRET)));

    // Our speaker on n1 with memberlist's LAN timings (as the Go peer), discovery by Pod labels.
    const sp = l.startSpeaker('n1', ['--ml-preset', 'lan']);
    const fail = (e: Error): never => {
      throw new Error(`${e.message}\n--- speaker n1\n${sp.proc.tail(30)}\n${sp.proc.stderr}\n--- go n2\n${goPeer!.tail(20)}\n${goPeer!.stderr}`);
    };
    const started = await sp.proc.waitLine((x) => x['msg'] === 'memberlist started', { timeoutMs: 30_000, what: 'memberlist started' }).catch(fail);
    expect(started).toMatchObject({ encrypted: true, preset: 'lan' });
    const joined = await sp.proc.waitLine((x) => x['msg'] === 'memberlist joined', { timeoutMs: 30_000, what: 'memberlist joined (Pod discovery)' }).catch(fail);
    expect(joined['targets']).toEqual([`${n2.v4}:7946`]);
    expect(joined['contacted']).toBe(1);

    // Both views: the speaker's member events and the Go peer's member list.
    await waitFor('speaker n1 lists n1 and n2', () => l.members('n1').join(',') === 'n1,n2', { timeoutMs: 20_000, everyMs: 200 }).catch(fail);
    const goView = await goPeer.waitFor((x) => x.event === 'members' && (x['members'] as string[]).slice().sort().join(',') === 'n1,n2', 15_000, 'Go peer members n1,n2').catch(fail);
    expect(goView['n']).toBe(2);
    await goPeer.waitFor((x) => x.event === 'join' && x.node === 'n1' && x['addr'] === l.node('n1').v4, 5_000, 'Go peer join event of n1').catch(fail);
    await waitFor('speaker n1 ready', () => l.http('n1', '/readyz').status === 200, { timeoutMs: 20_000, everyMs: 300 }).catch(fail);

    // Still one cluster a few probe rounds later: nobody suspected, nothing undecryptable.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(l.members('n1')).toEqual(['n1', 'n2']);
    const goLines = goPeer.lines as PeerLine[];
    expect(goLines.filter((x) => x.event === 'leave' || (x.event === 'log' && /decrypt|suspect|failed/i.test(String(x.msg))))).toEqual([]);
    // The speaker's own `node` field is never overwritten by the library's peer name.
    expect(sp.proc.lines.filter((x) => 'node' in x && x['node'] !== 'n1')).toEqual([]);

    // SIGTERM: the speaker leaves gracefully; the Go peer sees n1 leave (not fail).
    sp.proc.signal('SIGTERM');
    await goPeer.waitFor((x) => x.event === 'leave' && x.node === 'n1', 15_000, 'Go peer: n1 left').catch(fail);
    const code = await Promise.race([sp.proc.exited, new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000))]);
    expect(code).toBe(0);
  }, 120_000);
});
