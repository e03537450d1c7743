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
export {
  startProbeServer,
  startSecureMetricsServer,
  closeServer,
  answerProbe,
  routeSecureMetrics,
  answerAccess,
  parseBindAddress,
  BindAddressError,
  PROBE_METHODS,
  METRICS_REALM,
  type ProbeServerOptions,
  type SecureMetricsServerOptions,
  type ReadinessProbe,
  type ProbeAnswer,
  type AnswerStatus,
  type SecureMetricsRoute,
  type BindAddress,
} from './http.js';
export {
  MetricsAuthorizer,
  kubeReviewClient,
  bearerToken,
  DEFAULT_METRICS_AUTH_CACHE,
  METRICS_REQUEST,
  type MetricsAccess,
  type MetricsAuthorizerOptions,
  type MetricsAuthCacheOptions,
  type ReviewClient,
  type JsonRequester,
  type TokenReviewOutcome,
  type AccessReviewOutcome,
  type NonResourceRequest,
  type UserInfo,
  type BearerToken,
  type UnauthenticatedReason,
} from './metrics-auth.js';
export { selfSignedCertificate, der, OIDS, SELF_SIGNED_VALIDITY_DAYS, type SelfSignedOptions, type TlsMaterial } from './self-signed.js';
export {
  planServing,
  startServing,
  readCertDir,
  selfSignedNames,
  ServingCertificateError,
  DEFAULT_SECURE_METRICS_PORT,
  CERT_DIR_FILES,
  type ServingFlags,
  type ServingPlan,
  type ServingPlanOptions,
  type ServingOptions,
  type Serving,
  type Listener,
  type Endpoint,
} from './serving.js';
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
export { StatusKeeper, STATUS_LABELS, type StatusKeeperOptions, type KeepOptions, type KeepOutcome, type RemoveOutcome, type ServiceRef } from './status-keeper.js';
export { applyV8Options, v8FlagsToSet, V8_SIZE_FLAGS, OPTIMIZE_FOR_SIZE_ENV, type V8OptionsIo } from './v8-options.js';
