/**
 * Test helpers for `@metallb-ts/arp-responder`: an in-memory transport and Ethernet segment, so
 * everything above the raw sockets runs in unit tests without root.
 * @packageDocumentation
 */
export {
  MemoryEndpoint,
  MemorySegment,
  MemoryTransport,
  type MemoryLinkInit,
  type SegmentRecord,
} from './memory-transport.js';
