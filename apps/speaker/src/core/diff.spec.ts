import { announcerOrder } from '@metallb-ts/election';
import { describe, expect, it } from 'vitest';
import { announcedOutsidePools } from '@metallb-ts/config';
import { announcedServices, eventsBetween, l2Changes, statusChanges } from './diff.js';
import type { SpeakerService } from './model.js';
import { computePlan } from './plan.js';
import { config, input, l2adv, pool, svc } from './test-fixtures.js';

const IP = '198.51.100.10';
const me = announcerOrder(IP, ['n1', 'n2', 'n3'])[0]!;
const cfg = config([pool('p', ['198.51.100.0/24']), l2adv('l2', { ipAddressPools: ['p'] })]);
const planOf = (services: SpeakerService[], o: { interfaces?: string[]; config?: typeof cfg } = {}) =>
  computePlan(input({ config: o.config ?? cfg, services, node: me, ...(o.interfaces ? { interfaces: o.interfaces } : {}) }));

describe('l2Changes', () => {
  const a = svc('a', [IP]);

  it('first announcement: announce, and the IP is gained', () => {
    expect(l2Changes(undefined, planOf([a]))).toEqual({ withdraw: [], announce: [{ key: 'default/a', ips: [{ ip: IP, interfaces: undefined }] }], gained: [IP] });
  });

  it('the same plan again changes nothing (no gratuitous burst, quirk 27 fixed)', () => {
    expect(l2Changes(planOf([a]), planOf([a]))).toEqual({ withdraw: [], announce: [], gained: [] });
  });

  it('a Service that goes away is withdrawn', () => {
    expect(l2Changes(planOf([a]), planOf([]))).toEqual({ withdraw: ['default/a'], announce: [], gained: [] });
  });

  it('a changed IP is withdrawn first, then announced (loadBalancerIPChanged)', () => {
    const other = ['198.51.100.11', '198.51.100.12', '198.51.100.13'].find((ip) => announcerOrder(ip, ['n1', 'n2', 'n3'])[0] === me)!;
    const out = l2Changes(planOf([a]), planOf([svc('a', [other])]));
    expect(out).toEqual({ withdraw: ['default/a'], announce: [{ key: 'default/a', ips: [{ ip: other, interfaces: undefined }] }], gained: [other] });
  });

  it('an interface appearing re-registers the IP without a withdraw', () => {
    const c = config([pool('p', ['198.51.100.0/24']), l2adv('l2', { ipAddressPools: ['p'], interfaces: ['eth1', 'eth2'] })]);
    const out = l2Changes(planOf([a], { config: c, interfaces: ['eth1'] }), planOf([a], { config: c, interfaces: ['eth1', 'eth2'] }));
    expect(out).toEqual({ withdraw: [], announce: [{ key: 'default/a', ips: [{ ip: IP, interfaces: ['eth1', 'eth2'] }] }], gained: [] });
  });

  it('an IP moving between two Services of one shared IP is not a gain', () => {
    const b = svc('b', [IP]);
    expect(l2Changes(planOf([a]), planOf([b])).gained).toEqual([]);
  });
});

describe('eventsBetween', () => {
  it('nodeAssigned once when the announcement starts, again after a stop', () => {
    const on = planOf([svc('a', [IP])]);
    const off = planOf([svc('a', [IP], { endpoints: [] })]);
    expect(eventsBetween(undefined, on).map((e) => e.reason)).toEqual(['nodeAssigned']);
    expect(eventsBetween(on, on)).toEqual([]);
    expect(eventsBetween(on, off)).toEqual([]);
    expect(eventsBetween(off, on).map((e) => e.reason)).toEqual(['nodeAssigned']);
  });
});

describe('statusChanges', () => {
  it('writes what differs, removes what is no longer desired', () => {
    const written = new Map([
      ['default/a', JSON.stringify({})],
      ['default/b', JSON.stringify({})],
      ['default/c', JSON.stringify({ interfaces: [{ name: 'eth0' }] })],
    ]);
    const desired = new Map<string, Record<string, unknown>>([
      ['default/a', {}],
      ['default/c', {}],
      ['default/d', { peers: ['x'] }],
    ]);
    expect(statusChanges(written, desired)).toEqual({
      keep: [
        { key: 'default/c', extra: {} },
        { key: 'default/d', extra: { peers: ['x'] } },
      ],
      remove: ['default/b'],
    });
  });
});

describe('configuration veto (§2.5) through @metallb-ts/config', () => {
  const plan = planOf([svc('a', [IP]), svc('b', [IP], { endpoints: [] })]);

  it('announced Services and their IPs (not the ones withdrawn)', () => {
    expect(announcedServices(plan).map((a) => [a.service, a.ips.map(String)])).toEqual([['default/a', [IP]]]);
  });

  it('a configuration that still contains the announced IP is accepted', () => {
    expect(announcedOutsidePools(config([pool('q', ['198.51.100.0/25'])]), announcedServices(plan))).toEqual([]);
  });

  it('one that would drop it is refused with a retry, naming the Service', () => {
    const v = announcedOutsidePools(config([pool('q', ['203.0.113.0/24'])]), announcedServices(plan));
    expect(v).toEqual([expect.objectContaining({ reason: 'drops-announced-ip', retry: true, message: expect.stringContaining('default/a') })]);
  });
});
