/**
 * Test doubles for `@metallb-ts/k8s-watch`: {@link FakeApiClient}, an in-memory scriptable
 * API client for unit tests, and {@link ScriptedApiServer}, a real HTTP server that serves
 * the same state and faults plus HTTP-level misbehaviour (500s, slow answers, cut connections,
 * garbage lines) for integration tests of {@link KubeClient}.
 */
export { FakeApiClient, conflictError, type FakeCall, type Fault } from './fake-api-client.js';
export { ScriptedApiServer, type HttpFault } from './scripted-server.js';
