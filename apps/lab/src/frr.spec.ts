import { describe, expect, it } from 'vitest';
import { routerConfig } from './frr.js';
import { topology } from './topology.js';

describe('routerConfig', () => {
  it('peers passively with every node over IPv4 and IPv6, multipath and graceful restart on', () => {
    const c = routerConfig(topology('mtl', 2));
    expect(c).toContain('router bgp 64501');
    expect(c).toContain(' bgp graceful-restart');
    for (const a of ['198.51.100.11', '198.51.100.12', '2001:db8::11', '2001:db8::12']) {
      expect(c).toContain(` neighbor ${a} remote-as 64500`);
      expect(c).toContain(` neighbor ${a} passive`);
    }
    const v4 = c.slice(c.indexOf('address-family ipv4 unicast'), c.indexOf('address-family ipv6 unicast'));
    const v6 = c.slice(c.indexOf('address-family ipv6 unicast'));
    expect(v4).toContain('maximum-paths 16');
    expect(v4).toContain('no neighbor 2001:db8::11 activate');
    expect(v6).toContain('neighbor 2001:db8::12 activate');
    expect(v6).toContain('maximum-paths 16');
  });
});
