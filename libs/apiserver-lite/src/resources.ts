/**
 * The resource types the server knows: built-in kinds (served as opaque objects plus the few
 * behaviours we need) and those defined by CustomResourceDefinitions.
 */
import { StatusError } from './errors.js';
import type { Schema } from './schema.js';

/** A printer column of a CRD version (`additionalPrinterColumns`). */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** One served resource: a (group, version, plural). Several versions of a CRD share one storage. */
export interface ResourceType {
  /** API group, `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Whether `/status` is a subresource (then writes to the main resource ignore `.status`). */
  statusSubresource: boolean;
  /** Whether this version is the storage version (objects are stored with its apiVersion). */
  storage: boolean;
  /**
   * Whether objects carry `metadata.generation` (1 on create, bumped on spec changes): custom
   * resources, CRDs, Pods, EndpointSlices, Deployments and DaemonSets do; ConfigMaps, Services,
   * Namespaces, Nodes, Secrets, Events, Leases, ServiceAccounts and RBAC objects do not.
   */
  generation: boolean;
  /**
   * Whether an update without `metadata.resourceVersion` is accepted (built-in kinds) or refused
   * with a 422 (custom resources: `metadata.resourceVersion: Invalid value: 0: must be specified
   * for an update`).
   */
  unconditionalUpdate: boolean;
  /** For CRD versions: the structural schema. */
  schema?: Schema;
  /** For CRD versions. */
  printerColumns?: PrinterColumn[];
  /** The CRD name (`plural.group`) that defines this type, if any. */
  crd?: string;
}

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** The storage key shared by every version of one resource. */
export function storageKey(t: { group: string; plural: string }): string {
  return `${t.group}/${t.plural}`;
}

type Builtin = [group: string, version: string, kind: string, plural: string, namespaced: boolean, shortNames: string[], status: boolean, categories?: string[]];

/** Built-in kinds the server serves. Objects of these kinds are stored as given (no schema). */
export const BUILTIN_TYPES: readonly Builtin[] = [
  ['', 'v1', 'Namespace', 'namespaces', false, ['ns'], true],
  ['', 'v1', 'Node', 'nodes', false, ['no'], true],
  ['', 'v1', 'Service', 'services', true, ['svc'], true, ['all']],
  ['', 'v1', 'Endpoints', 'endpoints', true, ['ep'], false],
  ['', 'v1', 'Pod', 'pods', true, ['po'], true, ['all']],
  ['', 'v1', 'Secret', 'secrets', true, [], false],
  ['', 'v1', 'ConfigMap', 'configmaps', true, ['cm'], false],
  ['', 'v1', 'Event', 'events', true, ['ev'], false],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], false],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true, [], false],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', true, [], false],
  ['events.k8s.io', 'v1', 'Event', 'events', true, ['ev'], false],
  ['apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], true, ['all']],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], true, ['all']],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, [], false],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, ['crd', 'crds'], true, ['api-extensions']],
];

/** Built-in kinds whose objects have `metadata.generation`, by storage key. */
const GENERATION_KEYS = new Set(['/pods', 'discovery.k8s.io/endpointslices', 'apps/deployments', 'apps/daemonsets', 'apiextensions.k8s.io/customresourcedefinitions']);

/** The built-in types as {@link ResourceType}s. */
export function builtinTypes(): ResourceType[] {
  return BUILTIN_TYPES.map(([group, version, kind, plural, namespaced, shortNames, status, categories]) => ({
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames,
    categories: categories ?? [],
    statusSubresource: status,
    storage: true,
    generation: GENERATION_KEYS.has(`${group}/${plural}`),
    unconditionalUpdate: true,
  }));
}

/** Minimal typing of a CRD object, as far as the server reads it. */
export interface CrdObject {
  metadata: { name?: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; listKind?: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema?: { openAPIV3Schema?: Schema };
      subresources?: { status?: object; scale?: object };
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

/** The served types of a CRD, or a 422 naming what is wrong with it. */
export function typesFromCrd(crd: CrdObject): ResourceType[] {
  const spec = crd?.spec;
  const name = crd?.metadata?.name ?? '';
  const fail = (field: string, msg: string) =>
    new StatusError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${name}" is invalid: ${field}: ${msg}`, {
      name,
      group: 'apiextensions.k8s.io',
      kind: 'CustomResourceDefinition',
      causes: [{ reason: 'FieldValueInvalid', field, message: msg }],
    });
  if (!spec?.group || !spec.names?.plural || !spec.names.kind) throw fail('spec', 'Required value: group, names.plural and names.kind are required');
  if (name !== `${spec.names.plural}.${spec.group}`) throw fail('metadata.name', `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`);
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) throw fail('spec.versions', 'Required value');
  if (spec.versions.filter((v) => v.storage).length !== 1) throw fail('spec.versions', 'Invalid value: must have exactly one version marked as storage version');
  return spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      statusSubresource: !!v.subresources?.status,
      storage: v.storage,
      generation: true,
      unconditionalUpdate: false,
      schema: v.schema?.openAPIV3Schema,
      printerColumns: v.additionalPrinterColumns,
      crd: name,
    }));
}

/** All types by `group/version/plural`, with lookups by storage key and kind. */
export class TypeRegistry {
  private readonly byGvr = new Map<string, ResourceType>();

  constructor(initial: ResourceType[] = builtinTypes()) {
    for (const t of initial) this.add(t);
  }

  /** Adds or replaces a type. */
  add(t: ResourceType): void {
    this.byGvr.set(`${t.group}/${t.version}/${t.plural}`, t);
  }

  /** Removes every type a CRD defined. */
  removeCrd(crdName: string): void {
    for (const [k, t] of this.byGvr) if (t.crd === crdName) this.byGvr.delete(k);
  }

  /** The type served at `group/version/plural`. */
  get(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGvr.get(`${group}/${version}/${plural}`);
  }

  /** Every type. */
  all(): ResourceType[] {
    return [...this.byGvr.values()];
  }

  /** The storage version of a resource. */
  storageType(group: string, plural: string): ResourceType | undefined {
    const all = this.all().filter((t) => t.group === group && t.plural === plural);
    return all.find((t) => t.storage) ?? all[0];
  }

  /** Groups with their versions, in a stable order (core first, then by name). */
  groups(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const t of this.all()) {
      const vs = m.get(t.group) ?? [];
      if (!vs.includes(t.version)) vs.push(t.version);
      m.set(t.group, vs);
    }
    for (const vs of m.values()) vs.sort(compareVersions);
    return m;
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (`v1` > `v1beta2` > `v1beta1` > `v1alpha1`). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return [0, 0, 0, v] as const;
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0), v] as const;
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa[0] !== pb[0]) return pb[0] - pa[0];
  if (pa[1] !== pb[1]) return pb[1] - pa[1];
  if (pa[2] !== pb[2]) return pb[2] - pa[2];
  return pa[3] < pb[3] ? -1 : 1;
}
