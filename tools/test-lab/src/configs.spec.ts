import { describe, expect, it } from 'vitest';
import { birdConfig, exabgpConfig, frrConfig, gobgpConfig, type DaemonSpec } from './daemons.js';
import { kubeconfigFor } from './control-plane.js';

const spec: DaemonSpec = { asn: 64512, routerId: '127.0.30.1', address: '127.0.30.1', port: 11801, neighbors: [{ address: '127.0.30.10', peerAs: 64513, holdTime: 9, password: 'pw' }] };

describe('daemon configs', () => {
  it('gobgpd: passive neighbor with both unicast families and derived keepalive', () => {
    const c = gobgpConfig(spec);
    expect(c).toContain('passive-mode = true');
    expect(c).toContain('keepalive-interval = 3');
    expect(c).toContain('auth-password = "pw"');
    expect(c.match(/afi-safi-name/g)).toHaveLength(2);
  });
  it('gobgpd: an active neighbor connects to its port', () => {
    const c = gobgpConfig({ ...spec, neighbors: [{ address: '127.0.30.10', peerAs: 64513, connectPort: 1790 }] });
    expect(c).toContain('passive-mode = false');
    expect(c).toContain('remote-port = 1790');
  });
  it('BIRD: protocol named n<i> unless named, strict bind, graceful restart off by default', () => {
    expect(birdConfig(spec)).toContain('protocol bgp n0 {');
    expect(birdConfig({ ...spec, neighbors: [{ ...spec.neighbors[0]!, name: 'cli' }] })).toContain('protocol bgp cli {');
    expect(birdConfig(spec)).toContain('strict bind yes;');
    expect(birdConfig(spec)).toContain('graceful restart off;');
  });
  it('FRR: passive neighbor, timers, password, IPv6 activated', () => {
    const c = frrConfig(spec);
    expect(c).toContain(' neighbor 127.0.30.10 passive');
    expect(c).toContain(' neighbor 127.0.30.10 timers 3 9');
    expect(c).toContain(' neighbor 127.0.30.10 password pw');
    expect(c).toContain('  neighbor 127.0.30.10 activate');
  });
  it('exabgp: recording API process, passive or connecting, static routes', () => {
    const c = exabgpConfig({ ...spec, routes: ['203.0.113.10/32 next-hop 198.51.100.15'] }, '/tmp/dump.sh');
    expect(c).toContain('run /tmp/dump.sh;');
    expect(c).toContain('  passive;');
    expect(c).toContain('  md5-password pw;');
    expect(c).toContain('    route 203.0.113.10/32 next-hop 198.51.100.15;');
    expect(exabgpConfig({ ...spec, neighbors: [{ address: '127.0.30.10', peerAs: 1, connectPort: 179 }] }, '/d')).toContain('  connect 179;');
  });
});

describe('control plane kubeconfig', () => {
  it('points at the namespace address and skips TLS verification for http', () => {
    const k = kubeconfigFor('http://198.51.100.1:6443');
    expect(k).toContain('server: "http://198.51.100.1:6443"');
    expect(k).toContain('insecure-skip-tls-verify: true');
    expect(k).toContain('current-context: lab');
  });
});
