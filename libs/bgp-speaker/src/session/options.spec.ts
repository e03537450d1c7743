import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SESSION_DEFAULTS, SessionConfigError, type SessionOptions } from '../index.js';
import { checkSessionRoute, familyAfiSafi, sessionFamilies, sessionFsmConfig, validateSessionOptions } from './options.js';

const base: SessionOptions = { peerAddress: '198.51.100.2', localAsn: 64512, peerAsn: 64513, routerId: '198.51.100.1' };

describe('session options: validation', () => {
  it('a VRF is refused with a clear error: not supported by the native speaker', () => {
    expect(() => validateSessionOptions({ ...base, vrf: 'red' })).toThrow(SessionConfigError);
    expect(() => validateSessionOptions({ ...base, vrf: 'red' })).toThrow(/VRFs are not supported by the native speaker/);
    expect(() => validateSessionOptions({ ...base, vrf: '' })).not.toThrow(); // empty = default VRF
  });

  it('routerId may be left out when nodeName is given (MetalLB fallback)', () => {
    const { routerId: _r, ...rest } = base;
    expect(() => validateSessionOptions({ ...rest, nodeName: 'node1' })).not.toThrow();
    expect(sessionFsmConfig({ ...rest, nodeName: 'node1' }, false).localOpen.bgpId.toString()).toBe('64.37.239.133');
    expect(sessionFsmConfig({ ...rest, nodeName: 'node1', localAddress: '198.51.100.9' }, false).localOpen.bgpId.toString()).toBe('198.51.100.9');
  });

  it.each<[string, Partial<SessionOptions>, string]>([
    ['localAsn 0', { localAsn: 0 }, 'localAsn'],
    ['peerAsn above 32 bits', { peerAsn: 2 ** 32 }, 'peerAsn'],
    ['routerId that is IPv6', { routerId: '2001:db8::1' }, 'routerId'],
    ['peerAddress not an address', { peerAddress: 'peer' }, 'peerAddress'],
    ['localAddress not an address', { localAddress: '198.51.100.300' }, 'localAddress'],
    ['holdTime 1', { holdTime: 1 }, 'holdTime'],
    ['peerPort 65536', { peerPort: 65536 }, 'peerPort'],
    ['localPort -1', { localPort: -1 }, 'localPort'],
    ['ebgpMultihop 0', { ebgpMultihop: 0 }, 'ebgpMultihop'],
    ['openHoldTime NaN', { openHoldTime: Number.NaN }, 'openHoldTime'],
    ['gracefulRestart.restartTime 4096', { gracefulRestart: { restartTime: 4096 } }, 'gracefulRestart.restartTime'],
    ['neither routerId nor nodeName', { routerId: undefined }, 'routerId'],
    ['a VRF', { vrf: 'red' }, 'vrf'],
    ['nextHopV6 that is IPv4', { nextHopV6: '198.51.100.1' }, 'nextHopV6'],
    ['nextHopV4 that is IPv6', { nextHopV4: '2001:db8::1' }, 'nextHopV4'],
  ])('%s → SessionConfigError naming the field', (_name, over, field) => {
    let err: unknown;
    try {
      validateSessionOptions({ ...base, ...over });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SessionConfigError);
    expect((err as SessionConfigError).field).toBe(field);
    expect((err as SessionConfigError).message).toMatch(new RegExp(`^invalid ${field.replace('.', '\\.')}: `));
  });

  it('accepts every hold time RFC 4271 §4.2 allows (0 or 3..65535)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 65535 })), (holdTime) => {
        expect(() => validateSessionOptions({ ...base, holdTime })).not.toThrow();
      }),
    );
  });

  it('a route of a family the session does not negotiate is refused', () => {
    const fams = sessionFamilies({ families: ['ipv4-unicast'] });
    expect(fams).toEqual([familyAfiSafi('ipv4-unicast')]);
    expect(() => checkSessionRoute({ prefix: Cidr.parse('2001:db8::1/128'), nextHop: IPAddress.parse('2001:db8::10') }, fams)).toThrow(/family IPv6 is not enabled on this session/);
    expect(() => checkSessionRoute({ prefix: Cidr.parse('203.0.113.1/32'), nextHop: IPAddress.parse('198.51.100.10') }, fams)).not.toThrow();
  });
});

describe('session options: the FSM configuration they build', () => {
  it('uses the documented defaults', () => {
    const cfg = sessionFsmConfig(base, false);
    expect(cfg).toMatchObject({
      passive: false,
      connectRetryTime: SESSION_DEFAULTS.connectRetryTime,
      holdTime: SESSION_DEFAULTS.holdTime,
      openHoldTime: SESSION_DEFAULTS.openHoldTime,
      delayOpenTime: 0,
      autoRestart: true,
      idleHold: SESSION_DEFAULTS.idleHold,
    });
    expect(cfg.keepaliveTime).toBeUndefined();
    expect(cfg.localOpen.capabilities.map((c) => c.code)).toEqual(['multiprotocol', 'multiprotocol', 'route-refresh', 'four-octet-as']);
    expect(cfg.expectations.localId.toString()).toBe('198.51.100.1');
  });

  it('puts AS_TRANS in "My AS" for a 4-octet ASN and the R bit only when restarting', () => {
    const o: SessionOptions = { ...base, localAsn: 4_200_000_000, gracefulRestart: { restartTime: 30 } };
    const gr = (restarting: boolean) => sessionFsmConfig(o, restarting).localOpen.capabilities.find((c) => c.code === 'graceful-restart');
    expect(sessionFsmConfig(o, false).localOpen.myAs).toBe(23456);
    expect(gr(true)).toMatchObject({ restarting: true, restartTime: 30 });
    expect(gr(false)).toMatchObject({ restarting: false, restartTime: 30 });
  });
});
