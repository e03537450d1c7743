/**
 * Test helpers for `@metallb-ts/memberlist`: an in-memory network that can drop, delay and
 * partition, for many-node simulations driven by `ManualClock`.
 */
export { MemoryNetwork, MemoryTransport, type MemoryNetworkOptions, type TrafficCounters } from './memory-network.js';
export { Simulation, type ObservedEvent, type SimulationOptions } from './simulation.js';
