/**
 * @packageDocumentation
 * `@metallb-ts/k8s-watch`: the Kubernetes client side of metallb-ts — typed informers with an
 * indexed cache that recover from every watch failure, a rate-limited work queue and a
 * level-triggered reconcile runner, writers (status patches, server-side apply,
 * create-or-update with conflict retry, de-duplicated Events), and client configuration.
 * Reads kubeconfigs itself (no `@kubernetes/client-node` at run time: issue 20).
 */
export * from './types.js';
export { loadClientConfig, tokenFileAuth, ConfigError, DEFAULT_QPS, DEFAULT_BURST, type ClientConfig, type ClientAuth, type ClientTls, type RequestCredentials, type LoadConfigOptions } from './config.js';
export { KubeClient, WatchDecodeError, type KubeClientOptions } from './kube-client.js';
export { TokenBucket } from './rate-limiter.js';
export { DEFAULT_BACKOFF, nextBackoff, type BackoffPolicy } from './backoff.js';
export { Cache, compareResourceVersions, decideEvent, diffRelist, byServiceName, NAMESPACE_INDEX, LABEL_INDEX, type CacheReader, type Delta, type IndexFunc } from './cache.js';
export { decideUnparseable, type IgnoreReason } from './cache.js';
export { Informer, type InformerOptions, type InformerEvent, type EventHandlers } from './informer.js';
export { resourceLabel, type InformerStats, type ObjectErrorOutcome } from './informer.js';
export { describeInformerEvent, type InformerLogLine } from './informer-log.js';
export { LogThrottle, DEFAULT_LOG_THROTTLE, type LogThrottleOptions, type ThrottleDecision } from './log-throttle.js';
export { WorkQueue, ItemExponentialRateLimiter, BucketRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter, itemBackoffMs, type RateLimiter, type WorkQueueOptions } from './work-queue.js';
export { runReconciler, enqueueChanges, TerminalError, type Reconcile, type ReconcileResult, type ReconcileOutcome, type ReconcilerOptions, type RunningReconciler } from './reconciler.js';
export { retryOnConflict, isConflict, patchStatus, applyObject, applyStatus, createOrUpdate, EventRecorder, type RetryOptions, type CreateOrUpdateResult, type EventType, type EventRecorderOptions, type InvolvedKind, type RecordOutcome } from './writers.js';
