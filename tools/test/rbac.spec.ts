/**
 * Least privilege, proven from the code: every Kubernetes API call the controller and the
 * speaker can make (derived from their sources by `rbac/api-uses.ts`) has exactly one rule in
 * `deploy/kustomize/base/rbac.yaml`, and every rule there is needed by a call. Scope counts: a
 * call confined to metallb-system needs a Role rule, never a ClusterRole one.
 *
 * The last cases inject a call and a rule into copies of the sources and the manifest and watch
 * the comparison fail, so the test cannot pass by deriving nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPS, deriveApiUses, parseRequestPath, uncoveredRequests, type ApiUse, type ApiUses } from './rbac/api-uses.js';
import { compare, readGrants } from './rbac/rules.js';

const root = join(import.meta.dirname, '..', '..');
const RBAC = 'deploy/kustomize/base/rbac.yaml';
const apps = Object.keys(APPS);
const rbacText = () => readFileSync(join(root, RBAC), 'utf8');

/** Replaces `anchor` (which must occur once) in a source file; the overlay for deriveApiUses. */
function inject(file: string, anchor: string, replacement: string): Record<string, string> {
  const text = readFileSync(join(root, file), 'utf8');
  const parts = text.split(anchor);
  if (parts.length !== 2) throw new Error(`${file}: the anchor ${JSON.stringify(anchor)} occurs ${parts.length - 1} times (the injection needs it once; update this test)`);
  return { [file]: parts.join(replacement) };
}

describe('RBAC of the apps: derived from the code, compared with deploy/kustomize/base/rbac.yaml', () => {
  let derived: ApiUses;
  beforeAll(() => {
    derived = deriveApiUses({ root });
  }, 120_000);

  it('every API call site of both apps resolves to a resource, verb and scope', () => {
    expect(derived.unresolved).toEqual([]);
    for (const app of apps) expect(derived.uses.filter((u) => u.app === app).length, app).toBeGreaterThan(0);
  });

  it('follows calls through helpers, fields and options objects (informers, Event recorder, ConfigurationState, raw review requests)', () => {
    const has = (app: string, verb: string, resource: string, group: string, scope: string) => derived.uses.some((u) => u.app === app && u.verb === verb && u.resource === resource && u.group === group && u.scope === scope);
    // informer(CORE_RESOURCES.secrets, ns) in the controller → InformerObserver.informer → new Informer → client.list(this.opts.resource, { namespace: this.opts.namespace })
    expect(has('controller', 'list', 'secrets', '', 'namespace')).toBe(true);
    expect(has('controller', 'list', 'services', '', 'cluster')).toBe(true);
    // EventRecorder: Events in the involved object's namespace, any of them
    expect(has('speaker', 'create', 'events', '', 'cluster')).toBe(true);
    // StatusKeeper: update through the status subresource
    expect(has('speaker', 'update', 'servicel2statuses/status', 'metallb.io', 'namespace')).toBe(true);
    // --metrics-secure: POST /apis/authentication.k8s.io/v1/tokenreviews through JsonRequester.request
    expect(has('controller', 'create', 'tokenreviews', 'authentication.k8s.io', 'cluster')).toBe(true);
    // a namespace from the flags stays a namespace; the speaker never writes Services
    expect(derived.uses.some((u) => u.app === 'speaker' && u.resource.startsWith('services') && u.verb !== 'list' && u.verb !== 'watch')).toBe(false);
  });

  it('rbac.yaml is well formed: our ServiceAccounts, metallb-ts:<app> roles bound to them, no wildcards', () => {
    expect(readGrants(rbacText(), apps).problems).toEqual([]);
  });

  it('every call has its rule (a missing rule is a 403 in a cluster)', () => {
    const { grants } = readGrants(rbacText(), apps);
    expect(compare(derived.uses, grants, apps).missing).toEqual([]);
  });

  it('every rule is used by a call, once (least privilege)', () => {
    const { grants } = readGrants(rbacText(), apps);
    const c = compare(derived.uses, grants, apps);
    expect(c.unused).toEqual([]);
    expect(c.duplicate).toEqual([]);
  });

  it('an injected call is found and reported missing: direct in main, deep in a library, and one whose resource cannot be told', () => {
    const overlay = {
      ...inject('apps/controller/src/main.ts', '  const client = new KubeClient(clientConfig);\n', "  const client = new KubeClient(clientConfig);\n  void client.delete({ group: '', version: 'v1', plural: 'nodes', namespaced: false }, undefined, 'rogue');\n  void client.list(JSON.parse(process.env.ROGUE ?? '{}'));\n"),
      ...inject('libs/k8s-watch/src/writers.ts', '      await this.opts.client.create(Resources.events, ns, {', '      await this.opts.client.get(Resources.configMaps, ns, name).catch(() => undefined);\n      await this.opts.client.create(Resources.events, ns, {'),
    };
    const r = deriveApiUses({ root, overlay });
    const c = compare(r.uses, readGrants(rbacText(), apps).grants, apps);
    expect(c.missing).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^controller: delete nodes \(cluster-wide\) — called at apps\/controller\/src\/main\.ts:\d+$/),
        expect.stringMatching(/^controller: get configmaps \(cluster-wide\) — called at libs\/k8s-watch\/src\/writers\.ts:\d+$/),
        expect.stringMatching(/^speaker: get configmaps \(cluster-wide\) — called at libs\/k8s-watch\/src\/writers\.ts:\d+$/),
      ]),
    );
    expect(c.missing).toHaveLength(3);
    expect(r.unresolved).toEqual([expect.objectContaining({ app: 'controller', site: expect.stringMatching(/^apps\/controller\/src\/main\.ts:\d+$/), what: expect.stringContaining('cannot tell the resource') })]);
  }, 120_000);

  it('an injected rule is reported unused; a namespace need granted cluster-wide is reported on both sides', () => {
    const extraRule = rbacText().replace('  name: metallb-ts:controller\n  labels:\n    app: metallb-ts\n    component: controller\nrules:\n', '  name: metallb-ts:controller\n  labels:\n    app: metallb-ts\n    component: controller\nrules:\n- apiGroups: [""]\n  resources: [nodes]\n  verbs: [delete]\n');
    expect(extraRule).not.toBe(rbacText());
    const c1 = compare(derived.uses, readGrants(extraRule, apps).grants, apps);
    expect(c1).toEqual({ missing: [], unused: ['controller: delete nodes (cluster-wide) — ClusterRole metallb-ts:controller rule 1'], duplicate: [] });
    // The controller's Lease rule moved from its Role to its ClusterRole: leases in every namespace.
    const leaseRule = '- apiGroups: [coordination.k8s.io]\n  resources: [leases]\n  verbs: [get, create, update]\n';
    expect(rbacText().split(leaseRule)).toHaveLength(2);
    const widened = rbacText().replace(leaseRule, '').replace('- apiGroups: [""]\n  resources: [services/status]\n', `${leaseRule}- apiGroups: [""]\n  resources: [services/status]\n`);
    const c2 = compare(derived.uses, readGrants(widened, apps).grants, apps);
    expect(c2.missing.sort()).toEqual(['create', 'get', 'update'].map((v) => expect.stringMatching(new RegExp(`^controller: ${v} leases\\.coordination\\.k8s\\.io \\(in metallb-system\\)`))));
    expect(c2.unused).toHaveLength(3);
    expect(c2.unused.every((u) => u.includes('(cluster-wide)') && u.includes('ClusterRole metallb-ts:controller'))).toBe(true);
  });

  it('shape problems are reported: a wildcard, a binding to a role that is not in the file, a foreign subject', () => {
    const text = `${rbacText()}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "metallb-ts:wide"}
rules: [{apiGroups: ["*"], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "metallb-ts:wide"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "metallb-ts:wide"}
subjects: [{kind: ServiceAccount, name: controller, namespace: metallb-system}, {kind: ServiceAccount, name: default, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "metallb-ts:ghost", namespace: metallb-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ghost}
subjects: [{kind: ServiceAccount, name: speaker, namespace: metallb-system}]
`;
    const p = readGrants(text, apps).problems;
    expect(p).toEqual([
      expect.stringContaining('wildcard'),
      'ClusterRoleBinding metallb-ts:wide: subject ServiceAccount kube-system/default is not one of the apps\' ServiceAccounts',
      'RoleBinding metallb-system/metallb-ts:ghost: roleRef Role ghost is not a role in this file',
    ]);
  });
});

describe('parseRequestPath (the integration suites map their request logs with it)', () => {
  it.each([
    ['GET', '/api/v1/services', '', { group: '', resource: 'services', verb: 'list', namespace: undefined }],
    ['GET', '/api/v1/services', 'watch=true&resourceVersion=5', { group: '', resource: 'services', verb: 'watch', namespace: undefined }],
    ['GET', '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/x', '', { group: 'coordination.k8s.io', resource: 'leases', verb: 'get', namespace: 'metallb-system' }],
    ['PATCH', '/api/v1/namespaces/t1/services/web/status', '', { group: '', resource: 'services/status', verb: 'patch', namespace: 't1' }],
    ['POST', '/apis/authentication.k8s.io/v1/tokenreviews', '', { group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create', namespace: undefined }],
    ['PUT', '/apis/metallb.io/v1beta1/namespaces/metallb-system/servicel2statuses/l2-x/status', '', { group: 'metallb.io', resource: 'servicel2statuses/status', verb: 'update', namespace: 'metallb-system' }],
    ['DELETE', '/api/v1/namespaces/a/pods', '', { group: '', resource: 'pods', verb: 'deletecollection', namespace: 'a' }],
  ] as const)('%s %s?%s', (method, path, query, want) => {
    expect(parseRequestPath(method, path, query)).toEqual(want);
  });

  it('is undefined for what is no resource request', () => {
    expect(parseRequestPath('GET', '/version')).toBeUndefined();
    expect(parseRequestPath('GET', '/apis/metallb.io/v1beta1')).toBeUndefined();
    expect(parseRequestPath('HEAD', '/api/v1/pods')).toBeUndefined();
  });
});

describe('uncoveredRequests (the controller suite checks its request log with it)', () => {
  const use = (verb: ApiUse['verb'], resource: string, scope: ApiUse['scope'], group = ''): ApiUse => ({ app: 'controller', group, resource, verb, scope, sites: ['x.ts:1'] });
  const uses = [use('list', 'secrets', 'namespace'), use('watch', 'services', 'cluster'), use('patch', 'services/status', 'cluster'), use('create', 'events', 'cluster')];

  it('accounts for cluster-wide uses anywhere and namespace uses in the MetalLB namespace only', () => {
    const seen = [
      { method: 'GET', path: '/api/v1/namespaces/metallb-system/secrets' },
      { method: 'GET', path: '/api/v1/namespaces/other/secrets' },
      { method: 'GET', path: '/api/v1/services', query: 'watch=true' },
      { method: 'GET', path: '/api/v1/services' },
      { method: 'PATCH', path: '/api/v1/namespaces/t/services/a/status' },
      { method: 'POST', path: '/api/v1/namespaces/t/events' },
      { method: 'GET', path: '/version' },
    ];
    expect(uncoveredRequests(uses, 'controller', seen)).toEqual([seen[1], seen[3], seen[6]]);
  });

  it('uses of another app account for nothing', () => {
    expect(uncoveredRequests(uses, 'speaker', [{ method: 'POST', path: '/api/v1/namespaces/t/events' }])).toHaveLength(1);
  });
});
