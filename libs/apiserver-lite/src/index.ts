/**
 * @packageDocumentation
 * `@metallb-ts/apiserver-lite`: an in-memory Kubernetes API server that kubectl and
 * client-node talk to, for tests, the lab and end-to-end runs on machines without a cluster.
 *
 * Start one in-process with {@link startApiServer}, or run the `apiserver-lite` command.
 */
export { startApiServer, readManifests, type StartOptions, type RunningApiServer } from './start.js';
export { ApiServer, DEFAULT_VERSION, parseRoute, type ApiServerOptions, type RequestLogEntry, type VersionInfo } from './http.js';
export { Api, type ApiOptions, type WriteOptions, type Selection, type ChangeHook } from './api.js';
export { PATCH_TYPES, type PatchType } from './patch-types.js';
export { ObjectStore, type KObject, type ChangeEvent, type Snapshot, type LogRecord, type Persistence, type StoreOptions, type WatchSubscription } from './store.js';
export { SnapshotFile, MemoryPersistence, SnapshotError, SNAPSHOT_FILE_DEFAULTS, type Durability, type SnapshotFileOptions } from './snapshot-file.js';
export { kubeconfigYaml, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
export { StatusError, type Status, type StatusCause, type StatusDetails } from './errors.js';
export { TypeRegistry, typesFromCrd, builtinTypes, compareVersions, apiVersionOf, type ResourceType, type CrdObject, type PrinterColumn } from './resources.js';
export { validate, prune, applyDefaults, type Schema, type ValidationRule, type ValidateOptions } from './schema.js';
export { celEnvironment, compileRule, toCel } from './cel.js';
export { mergePatch, jsonPatch, strategicMergePatch, STRATEGIC_MERGE_KEYS, type JsonPatchOp } from './patch.js';
export { parseSelection, selects, parseFieldSelector, matchFields, SelectorParseError, type FieldRequirement } from './selectors.js';
export { serverSideApply, recordUpdate, fieldPaths, toFieldsV1, fromFieldsV1, type ManagedFieldsEntry, type ApplyRequest } from './apply.js';
export { desiredSlices, startEndpointSliceController } from './controllers.js';
export { main as runCli, USAGE, isLoopbackHost } from './cli.js';
export { BUILTIN_SCHEMAS, OBJECT_META_SCHEMA } from './builtin-schemas.js';
export { MAX_DEPTH, exceedsDepth } from './depth.js';
export { decodeKubeProtobuf, hasProtobufMagic, ProtobufDecodeError, PROTOBUF_KINDS, PROTOBUF_MEDIA_TYPE, type ProtobufDecodeReason } from './protobuf.js';
