/** The README example, executed: keeps the documentation honest. */
import { describe, expect, it } from 'vitest';
import { Allocator } from './index.js';

describe('README example', () => {
  it('behaves as documented', () => {
    const ipam = new Allocator();
    expect(
      ipam.setPools([
        { name: 'default', addresses: ['198.51.100.0/24', '2001:db8::/64'] },
        { name: 'web', addresses: ['203.0.113.10-203.0.113.20'], avoidBuggyIPs: true, serviceAllocation: { priority: 1, namespaces: ['web'] } },
        { name: 'manual', addresses: ['203.0.113.128/25'], autoAssign: false },
      ]).ok,
    ).toBe(true);
    const r = ipam.allocate({ key: 'web/front', namespace: 'web', families: ['IPv4'], ports: [{ protocol: 'TCP', port: 443 }] });
    expect(r.ok && r.allocation.ips.map(String)).toEqual(['203.0.113.10']);
    expect(r.ok && r.allocation.pool).toBe('web');
    const api = ipam.allocate({ key: 'shop/api', namespace: 'shop', families: ['IPv6', 'IPv4'], policy: 'RequireDualStack' });
    expect(api.ok && [api.allocation.pool, ...api.allocation.ips.map(String)]).toEqual(['default', '198.51.100.0', '2001:db8::']);
    expect(ipam.allocate({ key: 'shop/db', namespace: 'shop', families: ['IPv4'], requestedIps: ['203.0.113.130'] }).ok).toBe(true);
    const cache = ipam.allocate({ key: 'shop/cache', namespace: 'shop', families: ['IPv4'], pool: 'manual' });
    expect(cache.ok && cache.allocation.ips.map(String)).toEqual(['203.0.113.128']);
    const t = ipam.allocate({ key: 'dns/tcp', namespace: 'dns', families: ['IPv4'], sharingKey: 'dns', ports: [{ protocol: 'TCP', port: 53 }] });
    const u = ipam.allocate({ key: 'dns/udp', namespace: 'dns', families: ['IPv4'], sharingKey: 'dns', ports: [{ protocol: 'UDP', port: 53 }] });
    expect(t.ok && u.ok && u.allocation.ips.map(String)).toEqual(t.ok && t.allocation.ips.map(String));
    const bad = ipam.allocate({ key: 'shop/x', namespace: 'shop', families: ['IPv4'], requestedIps: ['203.0.113.130'] });
    expect(!bad.ok && bad.reason).toBe('ip-in-use');
    expect(!bad.ok && bad.message).toMatch(/^203\.0\.113\.130 is already used by shop\/db, which does not allow sharing; /);
    expect(!bad.ok && bad.conflict?.service).toBe('shop/db');
    expect(ipam.status('default')).toEqual({ assignedIPv4: 2n, assignedIPv6: 1n, availableIPv4: 254n, availableIPv6: 9223372036854775806n });
  });
});
