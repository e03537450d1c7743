import { createLogger } from '@metallb-ts/app-runtime';
import { encodeFrame, gratuitousArp } from '@metallb-ts/arp-responder';
import { MemorySegment, MemoryTransport } from '@metallb-ts/arp-responder/testing';
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { L2Driver } from './l2-driver.js';

const OURS = MacAddress.parse('02:00:00:00:00:01');
const NEW_OWNER = MacAddress.parse('02:00:00:00:00:02');

function driver() {
  const clock = new ManualClock();
  const segment = new MemorySegment();
  const transport = new MemoryTransport('n1').addLink({ name: 'eth0', mac: OURS, segment, addresses: ['198.51.100.11/24'] });
  const conflicts: string[] = [];
  const d = new L2Driver({ log: createLogger({ level: 'none' }), clock, transport, onConflict: (e) => conflicts.push(`${e.ip} ${e.mac}`) });
  d.start([]);
  d.apply({ withdraw: [], announce: [{ key: 'default/web', ips: [{ ip: '198.51.100.200', interfaces: undefined }, { ip: '198.51.100.201', interfaces: undefined }] }], gained: [] }, clock.monotonic());
  const peer = segment.endpoint('n2', NEW_OWNER);
  const claim = (ip: string) => peer.send(encodeFrame(gratuitousArp(NEW_OWNER, IPAddress.parse(ip), 'request')));
  return { d, clock, claim, conflicts };
}

describe('L2Driver.awaitTakeover (SIGTERM hand-over)', () => {
  it('resolves "taken" as soon as another MAC has claimed every IP, not before', async () => {
    const { d, clock, claim, conflicts } = driver();
    let result: string | undefined;
    void d.awaitTakeover(['198.51.100.200', '198.51.100.201'], 1500).then((r) => (result = r));
    claim('198.51.100.200');
    await clock.advanceAsync(10);
    expect(result).toBeUndefined(); // one IP still unclaimed: keep answering
    claim('198.51.100.201');
    await clock.advanceAsync(10);
    expect(result).toBe('taken');
    expect(conflicts).toEqual([`198.51.100.200 ${NEW_OWNER}`, `198.51.100.201 ${NEW_OWNER}`]);
    d.close();
  });
  it('gives up with "timeout" when nobody claims an IP within the bound', async () => {
    const { d, clock, claim } = driver();
    let result: string | undefined;
    void d.awaitTakeover(['198.51.100.200', '198.51.100.201'], 1500).then((r) => (result = r));
    claim('198.51.100.200');
    await clock.advanceAsync(1499);
    expect(result).toBeUndefined();
    await clock.advanceAsync(1);
    expect(result).toBe('timeout');
    d.close();
  });
  // Regression (MetalLB migration suite): the new owner claimed the IPs while this node was still
  // leaving memberlist; the waiter, registered after the leave, missed the claims (reported once
  // per hold-down) and the hand-over always ran to its bound.
  it('handOver: claims made while leaving count (the waiter is registered before the leave)', async () => {
    const { d, clock, claim } = driver();
    let result: string | undefined;
    const leave = () => {
      claim('198.51.100.200');
      claim('198.51.100.201');
      return new Promise<void>((r) => clock.setTimer(200, r)); // memberlist.stop() and the BGP Ceases take a while
    };
    void d.handOver(['198.51.100.200', '198.51.100.201'], leave, 1500).then((r) => (result = r));
    await clock.advanceAsync(210);
    expect(result).toBe('taken');
    d.close();
  });
  it('handOver: only leaves when there is nothing to hand over', async () => {
    const { d } = driver();
    let left = false;
    await expect(d.handOver([], async () => void (left = true), 1500)).resolves.toBe('none');
    expect(left).toBe(true);
    d.close();
  });
  it('has nothing to wait for without IPs', async () => {
    const { d } = driver();
    await expect(d.awaitTakeover([], 1500)).resolves.toBe('taken');
    d.close();
  });
});
