import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPAddress } from '@metallb-ts/netaddr';
import { announcerOrder, electAnnouncer, electionKey, ElectionInputError, goIPString, rankAnnouncers } from './index.js';

/** The oracle, written from the spec (§6.1 steps 9–10), not from the code under test. */
function expectedOrder(ipText: string, nodes: string[], scores: Record<string, number> = {}): string[] {
  const h = (n: string) => createHash('sha256').update(Buffer.from(`${n}#${ipText}`, 'utf8')).digest();
  return [...new Set(nodes)].sort((a, b) => {
    const sa = scores[a] ?? 0;
    const sb = scores[b] ?? 0;
    if (sa !== sb) return sb - sa;
    return Buffer.compare(h(a), h(b));
  });
}

/**
 * Independent oracle for Go's `net.IP.String()`: the WHATWG URL serializer prints IPv6 in RFC 5952
 * hex form; Go additionally prints IPv4-mapped addresses as dotted IPv4.
 */
function goText(ip: string): string {
  if (!ip.includes(':')) return new URL(`http://${ip}/`).hostname;
  const h = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (!m) return h;
  const v = (parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

describe('Go net.IP.String() forms (the text MetalLB hashes)', () => {
  it.each([
    ['198.51.100.10', '198.51.100.10'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longer run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is never compressed
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:198.51.100.1', '198.51.100.1'], // IPv4-mapped prints as IPv4 in Go
    ['::ffff:c633:6401', '198.51.100.1'],
    ['::c633:6401', '::c633:6401'], // IPv4-compatible: plain hex in Go
    ['::198.51.100.1', '::c633:6401'], // the same address with a dotted tail (not IPv4-mapped!)
    ['64:ff9b::198.51.100.1', '64:ff9b::c633:6401'],
    ['fe80::a:b:c:d', 'fe80::a:b:c:d'],
  ])('%s → %s', (input, go) => {
    expect(goText(input)).toBe(go); // the oracle agrees with the hand-written table
    expect(electionKey('n1', input)).toBe(`n1#${go}`);
    expect(announcerOrder(input, ['n1'])).toEqual(['n1']);
  });
});

describe('announcer order: MetalLB hash order, table', () => {
  const cases: { name: string; ip: string; nodes: string[]; scores?: Record<string, number>; ipText?: string }[] = [
    { name: 'three nodes, IPv4', ip: '198.51.100.10', nodes: ['node-a', 'node-b', 'node-c'] },
    { name: 'same nodes, other IP', ip: '198.51.100.11', nodes: ['node-a', 'node-b', 'node-c'] },
    { name: 'IPv6', ip: '2001:db8::10', nodes: ['worker-1', 'worker-2', 'worker-3', 'worker-4'] },
    { name: 'IPv6 written long-hand hashes the short form', ip: '2001:0DB8:0000::0010', ipText: '2001:db8::10', nodes: ['worker-1', 'worker-2', 'worker-3', 'worker-4'] },
    { name: 'mapped IPv4 hashes as IPv4', ip: '::ffff:203.0.113.7', ipText: '203.0.113.7', nodes: ['x', 'y', 'z'] },
    { name: 'one node', ip: '203.0.113.1', nodes: ['solo'] },
    { name: 'duplicates collapse', ip: '203.0.113.1', nodes: ['a', 'b', 'a', 'c', 'b'] },
    { name: 'UTF-8 node names', ip: '203.0.113.2', nodes: ['nœud-1', 'узел-2', 'ノード3'] },
    { name: 'scores first', ip: '198.51.100.10', nodes: ['node-a', 'node-b', 'node-c'], scores: { 'node-c': 100, 'node-a': 50 } },
    { name: 'equal scores fall back to the hash', ip: '198.51.100.10', nodes: ['node-a', 'node-b', 'node-c'], scores: { 'node-a': 10, 'node-b': 10, 'node-c': 10 } },
    { name: 'a score for an unknown node is ignored', ip: '198.51.100.10', nodes: ['node-a', 'node-b'], scores: { ghost: 100 } },
  ];
  it.each(cases)('$name', ({ ip, nodes, scores, ipText }) => {
    const want = expectedOrder(ipText ?? ip, nodes, scores);
    expect(announcerOrder(ip, nodes, scores)).toEqual(want);
    expect(electAnnouncer(ip, nodes, scores)).toBe(want[0]);
  });

  it('ranked entries carry score and digest', () => {
    const r = rankAnnouncers('198.51.100.10', ['node-a'], new Map([['node-a', 7]]));
    expect(r).toEqual([{ node: 'node-a', score: 7, digest: createHash('sha256').update('node-a#198.51.100.10').digest('hex') }]);
  });

  it('different IPs spread over nodes (pseudo-random)', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4'];
    const winners = new Set<string>();
    for (let i = 1; i <= 64; i++) winners.add(electAnnouncer(`198.51.100.${i}`, nodes)!);
    expect(winners.size).toBe(4);
  });

  it('README: scores come first', () => {
    expect(announcerOrder('198.51.100.10', ['node-a', 'node-b', 'node-c'], { 'node-b': 100, 'node-a': 50 })).toEqual(['node-b', 'node-a', 'node-c']);
  });

  it('no candidate → undefined', () => {
    expect(electAnnouncer('198.51.100.1', [])).toBeUndefined();
    expect(announcerOrder('198.51.100.1', [])).toEqual([]);
  });
});

describe('golden vectors (digests from coreutils `printf %s KEY | sha256sum`)', () => {
  // node-a#198.51.100.10  17cc5af7…  → first
  // node-b#198.51.100.10  530fa8b5…
  // node-c#198.51.100.10  925754ec…
  it('IPv4', () => {
    const r = rankAnnouncers('198.51.100.10', ['node-c', 'node-b', 'node-a']);
    expect(r.map((c) => [c.node, c.digest])).toEqual([
      ['node-a', '17cc5af78a8b2b3bdc4699970fa1ee457e9f3f4322f2c811d85220dd944bf72e'],
      ['node-b', '530fa8b52f9a1e23644173627bbe33e795c1353de5306b1ed463eabc0b594de0'],
      ['node-c', '925754ec9a54e2eb87ee424a9481123a085a935f33faae1c5a06b378f877e139'],
    ]);
  });
  it('IPv6 (hashed in its short form)', () => {
    expect(rankAnnouncers('2001:0db8:0:0:0:0:0:0010', ['worker-3', 'worker-2', 'worker-1']).map((c) => [c.node, c.digest.slice(0, 8)])).toEqual([
      ['worker-1', '25fa3642'],
      ['worker-2', '2e924c1e'],
      ['worker-3', '92a62b50'],
    ]);
  });
});

describe('bad input gets a clear error', () => {
  it.each([
    ['not-an-ip', ['a']],
    ['010.0.0.1', ['a']],
    ['fe80::1%eth0', ['a']],
    ['198.51.100.1', ['a', '']],
  ] as const)('%s %j', (ip, nodes) => {
    expect(() => announcerOrder(ip, [...nodes])).toThrow(ElectionInputError);
  });
  it('a dotted tail must itself be strict', () => {
    expect(() => announcerOrder('::ffff:198.51.100.01', ['a'])).toThrow(ElectionInputError);
    expect(() => announcerOrder('::ffff:1.2.3', ['a'])).toThrow(ElectionInputError);
    expect(() => announcerOrder('1.2.3.4:80', ['a'])).toThrow(ElectionInputError);
  });
  it('non-finite score', () => {
    expect(() => announcerOrder('198.51.100.1', ['a'], { a: Number.NaN })).toThrow(/scores\.a.*finite/);
  });
  it('message names the field', () => {
    expect(() => announcerOrder('nope', ['a'])).toThrow(/invalid election input ip: .*nope/);
  });
});

const nodeName = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const ipv4 = fc.ipV4();
const ipAny = fc.oneof(fc.ipV4(), fc.ipV6());

describe('properties', () => {
  it('goIPString takes values too', () => {
    expect(goIPString(IPAddress.fromBigInt('IPv6', 0xffffc6336401n))).toBe('198.51.100.1');
    expect(goIPString(IPAddress.fromBigInt('IPv6', 0xc6336401n))).toBe('::c633:6401');
    expect(announcerOrder(IPAddress.parse('198.51.100.1'), ['a', 'b'])).toEqual(announcerOrder('::ffff:198.51.100.1', ['b', 'a']));
  });

  it('IPv6 text forms, including dotted tails, print like Go', () => {
    const v4 = fc.ipV4();
    const withTail = fc.tuple(fc.constantFrom('::', '::ffff:', '64:ff9b::', '2001:db8:1:2:3:4:', '::ffff:0:'), v4).map(([h, t]) => h + t);
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), withTail), (ip) => {
        expect(electionKey('n', ip)).toBe(`n#${goText(ip)}`);
      }),
    );
  });

  it('agrees with the SHA-256 oracle', () => {
    fc.assert(
      fc.property(ipAny, fc.uniqueArray(nodeName, { maxLength: 12 }), (ip, nodes) => {
        expect(announcerOrder(ip, nodes)).toEqual(expectedOrder(goText(ip), nodes));
      }),
    );
  });

  it('same inputs elect the same node on every node (order of the input list does not matter)', () => {
    fc.assert(
      fc.property(ipv4, fc.uniqueArray(nodeName, { minLength: 1, maxLength: 10 }), fc.func(fc.integer()), (ip, nodes, keyer) => {
        const shuffled = [...nodes].sort((a, b) => keyer(a) - keyer(b));
        const scores = Object.fromEntries(nodes.map((n) => [n, Math.abs(keyer(n + '!')) % 3]));
        expect(announcerOrder(ip, shuffled, scores)).toEqual(announcerOrder(ip, nodes, scores));
      }),
    );
  });

  it('removing a non-winner never moves the IP', () => {
    fc.assert(
      fc.property(ipAny, fc.uniqueArray(nodeName, { minLength: 2, maxLength: 10 }), fc.nat(), (ip, nodes, k) => {
        const winner = electAnnouncer(ip, nodes)!;
        const others = nodes.filter((n) => n !== winner);
        const victim = others[k % others.length]!;
        expect(electAnnouncer(ip, nodes.filter((n) => n !== victim))).toBe(winner);
      }),
    );
  });

  it('adding a node moves the IP only to the new node', () => {
    fc.assert(
      fc.property(ipAny, fc.uniqueArray(nodeName, { minLength: 2, maxLength: 10 }), (ip, nodes) => {
        const [added, ...rest] = nodes;
        const before = electAnnouncer(ip, rest);
        const after = electAnnouncer(ip, nodes);
        expect(after === before || after === added).toBe(true);
      }),
    );
  });
});
