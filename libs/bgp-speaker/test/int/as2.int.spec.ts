/**
 * A 2-octet-only peer (BIRD with `enable as4 off`, so no RFC 6793 capability from it): the
 * session negotiates 2-octet AS_PATHs and BIRD decodes ours correctly. (A 4-octet local ASN
 * toward such a peer — AS_TRANS plus AS4_PATH — is covered by the unit tests: BIRD compares
 * its configured neighbor AS with our capability even with as4 off, and refuses a 4-octet
 * neighbor AS in that mode, so it cannot play that peer.)
 */
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNodeSession, type BgpSession } from '../../src/index.js';
import { removeDir, sleep, startBird, waitFor, type Bird } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';

labDescribe('2-octet-only peer', ['bird'])('2-octet-only peer (BIRD, as4 off)', () => {
  let bird: Bird;
  const sessions: BgpSession[] = [];
  const cells = [
    { addr: '127.0.30.180', asn: 64513, prefix: '203.0.113.180/32', path: '64513' },
  ];

  beforeAll(async () => {
    bird = await startBird({ asn: 64512, routerId: '127.0.30.182', address: '127.0.30.182', port: 11882, neighbors: cells.map((c) => ({ address: c.addr, peerAs: c.asn, holdTime: 9, noAs4: true })) });
    for (const c of cells) {
      const s = createNodeSession({ peerAddress: '127.0.30.182', peerPort: 11882, localAddress: c.addr, localAsn: c.asn, peerAsn: 64512, routerId: c.addr, holdTime: 9 });
      s.setRoutes([{ prefix: Cidr.parse(c.prefix), nextHop: IPAddress.parse('198.51.100.180') }]);
      s.start();
      sessions.push(s);
    }
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => Promise.race([s.stop(), sleep(2000)])));
    await bird?.stop();
    if (bird) removeDir(bird.dir);
  });

  it.each(cells.map((c, i) => ({ ...c, i })))('AS $asn → AS_PATH $path as BIRD sees it', async (c) => {
    const s = sessions[c.i]!;
    await waitFor('established', () => s.state === 'established', 15_000);
    expect(s.status().negotiated?.fourOctetAs).toBe(false);
    const text = await waitFor('route in bird', async () => {
      const t = await bird.cli('show', 'route', 'all', 'protocol', `n${c.i}`);
      return t.includes(c.prefix) ? t : undefined;
    }, 10_000);
    expect(text).toMatch(new RegExp(`BGP\\.as_path: ${c.path}\\s`));
  });
});
