import { IPAddress } from '@metallb-ts/netaddr';
import { decodeMessage, encodeMessage, Framer, type BgpMessage, type Open } from '../../src/index.js';
import type { MemoryConnection, MemoryNetwork } from '../../src/testing/index.js';

/** A scripted BGP peer on a MemoryNetwork: answers OPEN with OPEN + KEEPALIVE, records messages. */
export class FakePeer {
  readonly received: BgpMessage[] = [];
  conns: MemoryConnection[] = [];
  /** Answer our OPEN with OPEN + KEEPALIVE. */
  answer = true;
  constructor(
    net: MemoryNetwork,
    readonly address = '198.51.100.2',
    readonly port = 179,
    readonly open: Open = {
      type: 'open',
      version: 4,
      myAs: 64513,
      holdTime: 9,
      bgpId: IPAddress.parse('198.51.100.2'),
      capabilities: [{ code: 'multiprotocol', afi: 1, safi: 1 }, { code: 'multiprotocol', afi: 2, safi: 1 }, { code: 'route-refresh' }, { code: 'four-octet-as', asn: 64513 }],
      otherParameters: [],
    },
  ) {
    net.listen(address, port, (conn) => {
      this.conns.push(conn);
      const f = new Framer();
      conn.setHandlers({
        onData: (chunk) => {
          for (const fr of f.push(chunk)) {
            const { message } = decodeMessage(fr, { fourOctetAs: true });
            this.received.push(message);
            if (message.type === 'open' && this.answer) {
              conn.write(encodeMessage(this.open, { fourOctetAs: true }));
              conn.write(encodeMessage({ type: 'keepalive' }, { fourOctetAs: true }));
            }
          }
        },
        onClose: () => {},
      });
    });
  }
  get conn(): MemoryConnection {
    return this.conns[this.conns.length - 1]!;
  }
  send(m: BgpMessage): void {
    this.conn.write(encodeMessage(m, { fourOctetAs: true }));
  }
  of<T extends BgpMessage['type']>(type: T): Extract<BgpMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<BgpMessage, { type: T }> => m.type === type);
  }
}

/** Lets queued microtasks (memory deliveries) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
