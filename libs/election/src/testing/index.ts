/**
 * Test doubles for `@metallb-ts/election`: an in-memory, linearizable {@link MemoryLeaseStore}
 * with latency/failure/partition/death injection, and a {@link SkewedClock} for multi-node
 * simulations on one `ManualClock`.
 */
export { MemoryLeaseStore, InjectedStoreError, type LeaseLink, type LeaseLinkOptions, type LeaseWrite } from './memory-lease-store.js';
export { SkewedClock, type SkewOptions } from './skewed-clock.js';
export { checkLeaseStoreContract, type ContractFailure, type ContractOptions } from './contract.js';
