/**
 * @packageDocumentation
 * `@metallb-ts/app-runtime`: what every metallb-ts binary needs, so each app is a thin
 * composition — the flag engine (table, `METALLB_*` environment with explicit aliases, `--help`,
 * exit 2 on a bad value), the JSON-lines logger, the HTTP server for `/metrics` `/healthz`
 * `/livez` `/readyz`, the `metallb_k8s_client_*` metrics, signal handling with bounded clean-up,
 * the resource table with apiVersion/kind stamping of informer items, the Service readers, the
 * ConfigurationState writer and the keeper of per-node, per-service status objects.
 */
export {
  FlagError,
  flagEnvName,
  flagEnvNames,
  usage,
  parseFlags,
  parseCommandLine,
  checkChoice,
  checkPort,
  type FlagType,
  type FlagValue,
  type FlagSpec,
  type Env,
  type UsageOptions,
  type CommandLine,
  type CommandLineIo,
  type CommandLineOptions,
  serviceAccountNamespace,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
} from './flags.js';
export { createLogger, LOG_LEVELS, type LogLevel, type Logger, type LoggerOptions, type Fields } from './log.js';
export { AppMetrics, K8sClientMetrics, type MetricsSource } from './metrics.js';
export { InformerObserver, InformerMetrics, ThrottledLog, DEFAULT_RECONNECT_MAX_MS, type InformerObserverOptions, type ThrottledLogOptions } from './informers.js';
export { startProbeServer, closeServer, answerProbe, parseBindAddress, BindAddressError, PROBE_METHODS, type ProbeServerOptions, type ReadinessProbe, type ProbeAnswer, type BindAddress } from './http.js';
export { onShutdown, exitCodeOf, type ShutdownOptions, type ShutdownOutcome, type ShutdownSignal, type ShutdownHandle, type SignalSource } from './signals.js';
export { METALLB_RESOURCES, CONFIG_RESOURCES, CORE_RESOURCES, typeMetaOf, stampTypeMeta, type TypedResource, type TypeMeta } from './resources.js';
export {
  SERVICE_ANNOTATIONS,
  LEGACY_ANNOTATION_PREFIX,
  annotation,
  hasAnnotation,
  legacyAnnotations,
  serviceKey,
  servesClass,
  statusIPs,
  type ServiceLike,
} from './service.js';
export { podOwnerReference, OwnerResolver, type OwnerReference, type OwnerSource } from './owner.js';
export {
  ConfigurationStateWriter,
  configurationStateMeta,
  CONDITION_MESSAGE_MAX,
  type Component,
  type ConfigurationStateOptions,
  type StateWriteOutcome,
} from './configuration-state.js';
export { StatusKeeper, STATUS_LABELS, type StatusKeeperOptions, type KeepOutcome, type RemoveOutcome, type ServiceRef } from './status-keeper.js';
