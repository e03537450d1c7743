/**
 * A BGP router on loopback for the demo without root: a passive `@metallb-ts/bgp-speaker`
 * session listening on 127.0.0.1 (a port above 1024, so no privilege is needed) that counts the
 * routes the speaker sends it. No forwarding: without namespaces there is nothing to route to.
 */
import { BgpListener, createNodeSession, NodeTransport, type BgpSession } from '@metallb-ts/bgp-speaker';

export interface LoopbackRouter {
  readonly port: number;
  readonly asn: number;
  /** Established, and the routes the peer announces now (announced minus withdrawn). */
  state(): { established: boolean; routes: number };
  stop(): Promise<void>;
}

/** Starts the router for a speaker of AS `peerAsn` connecting from 127.0.0.1. */
export async function startLoopbackRouter(o: { asn: number; peerAsn: number; port?: number }): Promise<LoopbackRouter> {
  const listener = await BgpListener.create({ address: '127.0.0.1', port: o.port ?? 0 }, new NodeTransport());
  const session: BgpSession = createNodeSession({ peerAddress: '127.0.0.1', peerPort: 179, localAsn: o.asn, peerAsn: o.peerAsn, routerId: '127.0.0.2', passive: true, holdTime: 9, families: ['ipv4-unicast'], name: 'loopback-router' });
  let routes = 0;
  session.on('update-received', (u) => {
    routes = Math.max(0, routes + u.announced - u.withdrawn);
  });
  listener.add(session);
  session.start();
  return {
    port: listener.address.port,
    asn: o.asn,
    state: () => ({ established: session.state === 'established', routes }),
    async stop() {
      await session.stop().catch(() => undefined);
      await listener.close();
    },
  };
}
