import { describe, expect, it } from 'vitest';
import { checkPrefix, podAddress, topology, TopologyError } from './topology.js';

describe('topology', () => {
  it('names every namespace after the prefix and puts hosts on the documentation segment', () => {
    const t = topology('mtl', 3);
    expect([t.cp.ns, t.router.ns, t.client.ns, ...t.nodes.map((n) => n.ns)]).toEqual(['mtl-cp', 'mtl-router', 'mtl-client', 'mtl-n1', 'mtl-n2', 'mtl-n3']);
    expect(t.cp.v4).toBe('198.51.100.1');
    expect(t.router.v4).toBe('198.51.100.2');
    expect(t.client).toMatchObject({ v4: '198.51.100.50', v6: '2001:db8::50' });
    expect(t.nodes.map((n) => [n.name, n.v4, n.v6, n.podV4Cidr])).toEqual([
      ['n1', '198.51.100.11', '2001:db8::11', '203.0.113.16/28'],
      ['n2', '198.51.100.12', '2001:db8::12', '203.0.113.32/28'],
      ['n3', '198.51.100.13', '2001:db8::13', '203.0.113.48/28'],
    ]);
  });

  it('gives every host a distinct MAC and bridge port name within IFNAMSIZ', () => {
    const t = topology('e123456', 8);
    const hosts = [t.cp, t.router, t.client, ...t.nodes];
    expect(new Set(hosts.map((h) => h.mac)).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => h.port)).size).toBe(hosts.length);
    for (const h of hosts) expect(h.port.length).toBeLessThanOrEqual(15);
  });

  it('refuses prefixes that could collide with the test lab or overflow names, and bad node counts', () => {
    expect(() => checkPrefix('tl1')).toThrow(TopologyError);
    expect(() => checkPrefix('Mtl')).toThrow(/lower-case/);
    expect(() => checkPrefix('abcdefgh')).toThrow(TopologyError);
    expect(() => checkPrefix('1ab')).toThrow(TopologyError);
    expect(checkPrefix('e42')).toBe('e42');
    expect(() => topology('mtl', 0)).toThrow(/--nodes 0/);
    expect(() => topology('mtl', 9)).toThrow(TopologyError);
  });

  it('hands out pod addresses inside the node pod ranges only', () => {
    const [n1, n2] = topology('mtl', 2).nodes;
    expect(podAddress(n1!, 1)).toEqual({ v4: '203.0.113.17', v6: '2001:db8:1:1::1' });
    expect(podAddress(n2!, 14)).toEqual({ v4: '203.0.113.46', v6: '2001:db8:1:2::e' });
    expect(() => podAddress(n1!, 15)).toThrow(TopologyError);
    expect(() => podAddress(n1!, 0)).toThrow(TopologyError);
  });
});
