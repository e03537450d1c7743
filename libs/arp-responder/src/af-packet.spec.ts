import { describe, expect, it } from 'vitest';
import { ADDON_PATH_ENV, TransportError, addonCandidates, loadAddon } from './index.js';
import { toTransportError } from './native/af-packet.js';

const sysErr = (code: string) => Object.assign(new Error(`x failed (${code})`), { code });

describe('AfPacketTransport errors and addon loading (no sockets)', () => {
  it.each([
    ['EPERM', 'permission', /needs CAP_NET_RAW: run as root or grant the capability/],
    ['EACCES', 'permission', /NET_RAW/],
    ['ENODEV', 'interface-gone', /interface "eth7" does not exist/],
    ['ENXIO', 'interface-gone', /eth7/],
    ['ENETDOWN', 'interface-down', /interface "eth7" is down/],
    ['EMSGSIZE', 'io', /sending on "eth7" failed: x failed \(EMSGSIZE\)/],
  ] as const)('%s becomes a %s TransportError that says what to do', (code, kind, message) => {
    const e = toTransportError(sysErr(code), 'eth7', 'sending');
    expect(e).toBeInstanceOf(TransportError);
    expect([e.kind, e.ifName, e.errno]).toEqual([kind, 'eth7', code]);
    expect(e.message).toMatch(message);
  });

  it('keeps a TransportError as it is', () => {
    const e = new TransportError('io', 'eth0', 'boom');
    expect(toTransportError(e, 'eth1', 'x')).toBe(e);
  });

  it('looks for the addon at the explicit path, the environment, beside the module and in build/Release', () => {
    const before = process.env[ADDON_PATH_ENV];
    process.env[ADDON_PATH_ENV] = '/opt/x/arp_responder.node';
    try {
      const c = addonCandidates('/explicit/arp_responder.node');
      expect(c[0]).toBe('/explicit/arp_responder.node');
      expect(c[1]).toBe('/opt/x/arp_responder.node');
      expect(c.some((p) => p.endsWith('/build/Release/arp_responder.node'))).toBe(true);
    } finally {
      if (before === undefined) delete process.env[ADDON_PATH_ENV];
      else process.env[ADDON_PATH_ENV] = before;
    }
  });

  it('an explicit path that does not exist is an addon error naming it, not a silent fallback', () => {
    expect(() => loadAddon('/nonexistent/arp_responder.node')).toThrow(TransportError);
    try {
      loadAddon('/nonexistent/arp_responder.node');
    } catch (e) {
      expect((e as TransportError).kind).toBe('addon');
      expect((e as TransportError).message).toContain('tried /nonexistent/arp_responder.node');
      expect((e as TransportError).message).toContain(ADDON_PATH_ENV);
    }
  });
});
