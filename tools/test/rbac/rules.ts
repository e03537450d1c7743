/**
 * What `deploy/kustomize/base/rbac.yaml` grants each app, and its comparison with what the app
 * uses ({@link deriveApiUses}): missing rules, unused rules, rules granted twice, and the shape
 * checks (every binding names a role in the file, every subject is one of our ServiceAccounts).
 */
import { parseAllDocuments } from 'yaml';
import type { ApiUse, Scope, Verb } from './api-uses.js';

/** The namespace MetalLB (and metallb-ts) lives in. */
export const METALLB_NAMESPACE = 'metallb-system';

/** One permission an app holds: a verb on a group's resource, in the MetalLB namespace or everywhere. */
export interface Grant {
  app: string;
  group: string;
  resource: string;
  verb: Verb | string;
  scope: Scope;
  /** `ClusterRole metallb-ts:controller rule 3` */
  origin: string;
}

/** What the file grants, and what is wrong with its shape. */
export interface Granted {
  grants: Grant[];
  problems: string[];
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface RbacObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { apiGroup?: string; kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string; apiGroup?: string }[];
}

const KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/**
 * Reads the RBAC manifest: for each app (= ServiceAccount name in {@link METALLB_NAMESPACE}),
 * the grants of every ClusterRole bound by a ClusterRoleBinding (scope `cluster`) and of every
 * Role or ClusterRole bound by a RoleBinding in the MetalLB namespace (scope `namespace`).
 */
export function readGrants(text: string, apps: readonly string[]): Granted {
  const problems: string[] = [];
  const objects: RbacObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      problems.push(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const o = doc.toJS() as RbacObject | null;
    if (o) objects.push(o);
  }
  const name = (o: RbacObject) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
  for (const o of objects) {
    if (!o.kind || !KINDS.has(o.kind)) problems.push(`${name(o)}: only ServiceAccounts, (Cluster)Roles and (Cluster)RoleBindings belong here`);
    const namespaced = o.kind === 'ServiceAccount' || o.kind === 'Role' || o.kind === 'RoleBinding';
    if (namespaced && o.metadata?.namespace !== METALLB_NAMESPACE) problems.push(`${name(o)}: must be in namespace ${METALLB_NAMESPACE}`);
    if (!namespaced && o.metadata?.namespace) problems.push(`${name(o)}: cluster-scoped, must have no namespace`);
    if (o.kind !== 'ServiceAccount' && !o.metadata?.name?.startsWith('metallb-ts:')) problems.push(`${name(o)}: roles and bindings are named metallb-ts:<app> (they sit beside MetalLB's during a migration)`);
  }
  const serviceAccounts = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata?.name ?? ''));
  for (const app of apps) if (!serviceAccounts.has(app)) problems.push(`ServiceAccount ${METALLB_NAMESPACE}/${app} is missing`);
  const roles = new Map(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').map((o) => [`${o.kind}/${o.metadata?.name}`, o]));
  const grants: Grant[] = [];
  for (const b of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    const ref = b.roleRef;
    const role = roles.get(`${ref?.kind}/${ref?.name}`);
    if (!role || ref?.apiGroup !== 'rbac.authorization.k8s.io') {
      problems.push(`${name(b)}: roleRef ${ref?.kind} ${ref?.name} is not a role in this file`);
      continue;
    }
    if (b.kind === 'ClusterRoleBinding' && ref?.kind !== 'ClusterRole') problems.push(`${name(b)}: a ClusterRoleBinding binds a ClusterRole`);
    const scope: Scope = b.kind === 'ClusterRoleBinding' ? 'cluster' : 'namespace';
    for (const s of b.subjects ?? []) {
      if (s.kind !== 'ServiceAccount' || s.namespace !== METALLB_NAMESPACE || !apps.includes(s.name ?? '')) {
        problems.push(`${name(b)}: subject ${s.kind} ${s.namespace ?? ''}/${s.name} is not one of the apps' ServiceAccounts`);
        continue;
      }
      (role.rules ?? []).forEach((r, i) => {
        const origin = `${name(role)} rule ${i + 1}`;
        if (r.nonResourceURLs?.length) problems.push(`${origin}: nonResourceURLs — no app requests non-resource URLs`);
        if (r.resourceNames?.length) problems.push(`${origin}: resourceNames — the test cannot derive object names; drop them or teach it`);
        for (const g of r.apiGroups ?? []) {
          for (const res of r.resources ?? []) {
            for (const v of r.verbs ?? []) {
              if (g === '*' || res === '*' || v === '*') problems.push(`${origin}: wildcard ${JSON.stringify({ apiGroup: g, resource: res, verb: v })} — grant what is used, by name`);
              grants.push({ app: s.name!, group: g, resource: res, verb: v, scope, origin });
            }
          }
        }
      });
    }
  }
  return { grants, problems };
}

/** The differences between uses and grants. */
export interface Comparison {
  /** Uses no rule grants (`controller: delete nodes (cluster) at apps/…:12`). */
  missing: string[];
  /** Grants no use needs. */
  unused: string[];
  /** The same permission granted twice. */
  duplicate: string[];
}

function label(x: { app: string; group: string; resource: string; verb: string; scope: Scope }): string {
  return `${x.app}: ${x.verb} ${x.group ? `${x.resource}.${x.group}` : x.resource} (${x.scope === 'cluster' ? 'cluster-wide' : `in ${METALLB_NAMESPACE}`})`;
}

const keyOf = (x: { app: string; group: string; resource: string; verb: string; scope: Scope }) => `${x.app}|${x.group}|${x.resource}|${x.verb}|${x.scope}`;

/**
 * Compares exactly, scope included: a use in the MetalLB namespace needs a Role rule (a
 * ClusterRole rule would grant it everywhere: it is reported missing from the Role and unused in
 * the ClusterRole), a cluster-wide use needs a ClusterRole rule.
 */
export function compare(uses: readonly ApiUse[], grants: readonly Grant[], apps: readonly string[]): Comparison {
  const used = new Map(uses.filter((u) => apps.includes(u.app)).map((u) => [keyOf(u), u]));
  const granted = new Map<string, Grant>();
  const duplicate: string[] = [];
  for (const g of grants) {
    const prev = granted.get(keyOf(g));
    if (prev) duplicate.push(`${label(g)}: granted by ${prev.origin} and ${g.origin}`);
    else granted.set(keyOf(g), g);
  }
  const missing = [...used.values()].filter((u) => !granted.has(keyOf(u))).map((u) => `${label(u)} — called at ${u.sites.join(', ')}`);
  const unused = [...granted.values()].filter((g) => !used.has(keyOf(g))).map((g) => `${label(g)} — ${g.origin}`);
  return { missing, unused, duplicate };
}
