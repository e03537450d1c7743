/**
 * The Kubernetes shapes k8s-watch works with, and the {@link ApiClient} port: everything the
 * informers and writers need from an API server. {@link KubeClient} implements it over HTTP;
 * `FakeApiClient` from `@metallb-ts/k8s-watch/testing` scripts it in memory.
 */

/** The metadata fields k8s-watch reads. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  finalizers?: string[];
  [k: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: any;
}

/** A `metav1.Status` (error bodies, watch `ERROR` events). */
export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

/** A resource collection: `group` `''` is the core group. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Lower-case plural, e.g. `services`, `ipaddresspools`. */
  plural: string;
  /** Whether objects live in namespaces. @default true */
  namespaced?: boolean;
}

/** Common resources, ready to pass to informers and writers. */
export const Resources = {
  services: { group: '', version: 'v1', plural: 'services' },
  pods: { group: '', version: 'v1', plural: 'pods' },
  nodes: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  secrets: { group: '', version: 'v1', plural: 'secrets' },
  configMaps: { group: '', version: 'v1', plural: 'configmaps' },
  events: { group: '', version: 'v1', plural: 'events' },
  endpointSlices: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' },
} as const satisfies Record<string, ResourceRef>;

/** The URL path of a collection, object or subresource. */
export function resourcePath(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if ((r.namespaced ?? true) && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

/** `apiVersion` of a resource. */
export function apiVersionOf(r: ResourceRef): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** List parameters. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the server may return a `continue` token. */
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

/** One page of a list. */
export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

/** Watch parameters. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version (`''`/`'0'`: synthetic ADDED events for the current state first). */
  resourceVersion: string;
  /** Ask for BOOKMARK events. */
  allowWatchBookmarks?: boolean;
  /** Server-side watch timeout. */
  timeoutSeconds?: number;
  /** Aborting ends the stream (the iterator throws an `AbortError`). */
  signal?: AbortSignal;
}

/** A watch event as the server sends it. */
export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: Status };

/** Patch kinds and their content types. */
export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** One of {@link PatchType}. */
export type PatchContentType = (typeof PatchType)[keyof typeof PatchType];

/** Query parameters of writes. */
export interface WriteQuery {
  fieldManager?: string;
  force?: boolean;
  dryRun?: 'All';
}

/** What informers and writers need from an API server. */
export interface ApiClient {
  list<T extends KubeObject>(r: ResourceRef, opts?: ListOptions): Promise<ListResult<T>>;
  /** Streams events until the server ends the watch; HTTP errors throw {@link ApiError}. */
  watch<T extends KubeObject>(r: ResourceRef, opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
  get<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, subresource?: string): Promise<T>;
  create<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q?: WriteQuery): Promise<T>;
  update<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q?: WriteQuery, subresource?: string): Promise<T>;
  patch<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, type: PatchContentType, body: unknown, q?: WriteQuery, subresource?: string): Promise<T>;
  delete(r: ResourceRef, namespace: string | undefined, name: string, opts?: { preconditions?: { uid?: string; resourceVersion?: string } }): Promise<void>;
}

/** An error response from the API server (or a transport failure, `code` 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 for connection-level failures. */
    readonly code: number,
    /** `Status.reason` (`NotFound`, `Conflict`, `Expired`, …) or a transport reason. */
    readonly reason: string,
    message: string,
    /** The server's `Status` body, when there was one. */
    readonly status?: Status,
  ) {
    super(message);
  }

  /** Builds the error from a `Status` body. */
  static fromStatus(code: number, s: Status | undefined, fallback: string): ApiError {
    return new ApiError(code, s?.reason ?? (code === 0 ? 'Transport' : 'Unknown'), s?.message ?? fallback, s);
  }
}

/** Whether `e` is an {@link ApiError} with this code. */
export function isApiError(e: unknown, code?: number): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's `MetaNamespaceKeyFunc`). */
export function objectKey(o: { metadata: { name: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

/** Splits an {@link objectKey}. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
