import { systemClock, systemRng } from '@metallb-ts/clock';
import { NodeTransport } from './node-transport.js';
import type { SessionOptions } from './options.js';
import { BgpSession, type SessionComponents } from './session.js';

/**
 * A session wired to the real world: the system clock and randomness and {@link NodeTransport}
 * (TCP MD5 and TTL through the native addon when asked for). Override any component.
 */
export function createNodeSession(options: SessionOptions, components: Partial<SessionComponents> = {}): BgpSession {
  return new BgpSession(options, { clock: systemClock, rng: systemRng, transport: new NodeTransport(), ...components });
}
