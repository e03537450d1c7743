/**
 * @metallb-ts/test-lab — the one test lab of every integration tier and benchmark: network
 * namespaces with crash-safe clean-up, real BGP peers, the Go memberlist peer, a control plane
 * running apiserver-lite, bounded waits. See README.md.
 */
export * from './names.js';
export * from './wait.js';
export * from './exec.js';
export * from './process.js';
export * from './netns.js';
export * from './daemons.js';
export * from './go.js';
export * from './peers.js';
export * from './bundle.js';
export * from './arp.js';
export * from './control-plane.js';
export * from './relay.js';
export * from './ports.js';
