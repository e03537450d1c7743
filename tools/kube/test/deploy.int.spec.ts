/**
 * deploy/ against the real control plane (kube-lab: kube-apiserver v1.37.2 with RBAC), the pinned
 * kubectl and the pinned helm:
 * - the committed native manifest is exactly `kubectl kustomize deploy/kustomize/base`;
 * - every object of the manifest, of deploy/prometheus and of the chart's output (default values
 *   and the other value sets below) is valid under the schemas the server publishes at
 *   /openapi/v3 (strict: unknown fields are errors); prometheus-operator kinds under their
 *   models' schemas;
 * - the chart with default values renders the native manifest's objects;
 * - `helm lint --strict` is clean;
 * - `kubectl apply --server-side` (and `--dry-run=server`) installs the manifest, metallb.io
 *   objects survive it, a move to Helm adopts the objects, `helm upgrade` changes the
 *   Deployment, `helm uninstall` removes the workloads and keeps the CRDs and the objects.
 * Skipped, with the reason in the title, where Go is not installed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { binaryPaths, ensureBinaries, goSkipReason } from '../src/build.js';
import { down, kubectl, up } from '../src/cluster.js';
import { ensureHelm, helm } from '../src/helm.js';
import { describeProblems, OpenApiIndex } from '../src/openapi.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const CHART = join(repo, 'deploy/charts/metallb-ts');
const NATIVE = join(repo, 'deploy/manifests/metallb-ts-native.yaml');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string }; spec?: any };

function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object');
}
const keyOf = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Value sets the chart must render valid objects for (beside the defaults). */
const VALUE_SETS: Record<string, string[]> = {
  'pod monitors, scrape annotations, a metrics certificate, extra labels and flags': [
    'prometheus.podMonitor.enabled=true',
    'prometheus.serviceAccount=prometheus-k8s',
    'prometheus.namespace=monitoring',
    'prometheus.scrapeAnnotations=true',
    'prometheus.controllerMetricsTLSSecret=metallb-ts-metrics-tls',
    'prometheus.podMonitor.interval=30s',
    'controller.labels.team=net',
    'speaker.podAnnotations.example\\.test/a=b',
    'controller.extraArgs[0]=--kube-api-qps=50',
    'loadBalancerClass=example.test/lb',
    'speaker.ignoreExcludeLB=true',
  ],
  'service monitors with plain-HTTP metrics': ['prometheus.serviceMonitor.enabled=true', 'prometheus.rbacPrometheus=false', 'prometheus.secureMetrics=false'],
  'service monitors with a given token secret': ['prometheus.serviceMonitor.enabled=true', 'prometheus.serviceAccount=prometheus', 'prometheus.namespace=monitoring', 'prometheus.tokenSecret=my-token'],
  'minimal: no RBAC, no CRDs, no memberlist, no excludel2, one replica without election': [
    'rbac.create=false',
    'crds.enabled=false',
    'speaker.memberlist.enabled=false',
    'speaker.excludeInterfaces.enabled=false',
    'controller.replicas=1',
    'controller.leaderElect=false',
    'controller.podDisruptionBudget.enabled=false',
    'speaker.tolerateMaster=false',
    'controller.serviceAccount.create=false',
    'controller.serviceAccount.name=',
  ],
  'another release name, memberlist on another port': ['fullnameOverride=lb', 'speaker.memberlist.mlBindPort=7947', 'speaker.memberlist.mlBindAddrOverride=198.51.100.7'],
};

function kubeDescribe(title: string, fn: () => void): void {
  const why = goSkipReason();
  if (why) describe.skip(`${title} [skipped: ${why}]`, fn);
  else describe(title, fn);
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

kubeDescribe('deploy/ on a real control plane (kube-apiserver, pinned kubectl and helm)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-lab-deploy-'));
  let kubeconfig = '';
  let openapi: OpenApiIndex;
  const k = async (args: string[], input?: string) => {
    const r = await kubectl(args, { dir, ...(input !== undefined ? { input } : {}), timeoutMs: 120_000 });
    return r;
  };
  const template = async (sets: string[] = []) => {
    const r = await helm(['template', 'metallb-ts', CHART, '--namespace', 'metallb-system', ...sets.flatMap((s) => ['--set', s])]);
    expect(r.code, r.stderr).toBe(0);
    return parseObjects(r.stdout);
  };
  const validateAll = async (objs: Obj[]) => {
    const problems: string[] = [];
    const { PodMonitor, ServiceMonitor } = await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1');
    for (const o of objs) {
      if (o.apiVersion === 'monitoring.coreos.com/v1') {
        const Model = o.kind === 'PodMonitor' ? PodMonitor : o.kind === 'ServiceMonitor' ? ServiceMonitor : undefined;
        if (!Model) problems.push(`${o.kind}/${o.metadata.name}: no model for this kind`);
        else {
          try {
            new Model(o as never).validate();
          } catch (e) {
            problems.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
          }
        }
        continue;
      }
      problems.push(...describeProblems(o, await openapi.validate(o)));
    }
    return problems;
  };

  beforeAll(async () => {
    await ensureBinaries({ log: (l) => console.log(l) });
    await ensureHelm({ log: (l) => console.log(l) });
    const cp = await up({ dir, etcdUnsafeNoFsync: true });
    kubeconfig = cp.kubeconfig;
    openapi = new OpenApiIndex(async (path) => {
      const r = await k(['get', '--raw', path]);
      if (r.code !== 0) throw new Error(`kubectl get --raw ${path}: ${r.stderr}`);
      return r.stdout;
    });
  }, 3_600_000);

  afterAll(async () => {
    await down({ dir, graceMs: 5000 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('the committed native manifest is exactly `kubectl kustomize deploy/kustomize/base` (run bash deploy/render.sh after editing the base)', async () => {
    const r = await k(['kustomize', join(repo, 'deploy/kustomize/base')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(NATIVE, 'utf8'));
  });

  it('the validator is not vacuous: a broken Deployment has its problems named', async () => {
    const dep = structuredClone(parseObjects(readFileSync(NATIVE, 'utf8')).find((o) => o.kind === 'Deployment')!);
    dep.spec.replicas = 'two';
    dep.spec.template.spec.containers[0].securityContext.readOnlyRootFS = true;
    expect(await validateAll([dep])).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\.spec\.replicas: expected an integer/),
        expect.stringMatching(/securityContext\.readOnlyRootFS: unknown field/),
      ]),
    );
  });

  it('every object of the native manifest and of deploy/prometheus is valid under the server\'s /openapi/v3 schemas', async () => {
    const objs = [NATIVE, ...['metrics-reader', 'prometheus-rbac', 'podmonitors', 'servicemonitors'].map((f) => join(repo, `deploy/prometheus/${f}.yaml`))].flatMap((f) => parseObjects(readFileSync(f, 'utf8')));
    expect(objs.length).toBeGreaterThan(20);
    expect(await validateAll(objs)).toEqual([]);
    const kz = await k(['kustomize', join(repo, 'deploy/prometheus')]);
    expect(kz.code, kz.stderr).toBe(0);
    expect(parseObjects(kz.stdout).map(keyOf).sort()).toContain('PodMonitor/metallb-system/metallb-ts-speaker');
  });

  it('`helm lint --strict` is clean for the defaults and every value set', async () => {
    for (const sets of [[], ...Object.values(VALUE_SETS)]) {
      const r = await helm(['lint', '--strict', CHART, ...sets.flatMap((s) => ['--set', s])]);
      expect(r.code, `${sets.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('with default values the chart renders the native manifest\'s objects (less the Namespace; CRDs marked keep)', async () => {
    const native = new Map(parseObjects(readFileSync(NATIVE, 'utf8')).map((o) => [keyOf(o), o]));
    const rendered = await template();
    for (const o of rendered) {
      // Normalisation: the one annotation Helm needs and the manifest does not.
      if (o.kind === 'CustomResourceDefinition') {
        expect(o.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
        delete o.metadata.annotations!['helm.sh/resource-policy'];
        if (Object.keys(o.metadata.annotations!).length === 0) delete o.metadata.annotations;
      }
    }
    const chart = new Map(rendered.map((o) => [keyOf(o), o]));
    expect([...chart.keys()].sort()).toEqual([...native.keys()].filter((key) => !key.startsWith('Namespace/')).sort());
    for (const [key, o] of chart) expect(isDeepStrictEqual(o, native.get(key)), `${key} differs:\nchart:  ${JSON.stringify(o)}\nnative: ${JSON.stringify(native.get(key))}`).toBe(true);
  });

  for (const [name, sets] of Object.entries(VALUE_SETS)) {
    it(`chart output is valid under the server's schemas: ${name}`, async () => {
      const objs = await template(sets);
      expect(await validateAll(objs)).toEqual([]);
      const kinds = new Set(objs.map((o) => o.kind));
      if (sets.includes('prometheus.podMonitor.enabled=true')) expect(kinds.has('PodMonitor')).toBe(true);
      if (sets.includes('prometheus.serviceMonitor.enabled=true')) expect([kinds.has('ServiceMonitor'), kinds.has('Service')]).toEqual([true, true]);
      if (sets.includes('crds.enabled=false')) expect(kinds.has('CustomResourceDefinition')).toBe(false);
      if (sets.includes('rbac.create=false')) expect([...kinds].filter((k) => /Role/.test(k))).toEqual([]);
    });
  }

  it('values that cannot work are refused with a message', async () => {
    const r = await helm(['template', 'metallb-ts', CHART, '--set', 'controller.replicas=2', '--set', 'controller.leaderElect=false']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/needs controller\.leaderElect: true/);
    const both = await helm(['template', 'metallb-ts', CHART, '--set', 'prometheus.podMonitor.enabled=true', '--set', 'prometheus.serviceMonitor.enabled=true', '--set', 'prometheus.rbacPrometheus=false']);
    expect(both.stderr).toMatch(/not both/);
  });

  it('`kubectl apply --server-side --dry-run=server` and then `--server-side` install the native manifest; a second apply changes nothing', async () => {
    const dry = await k(['apply', '--server-side', '--dry-run=server', '-f', NATIVE]);
    // A dry run cannot create the namespace first, so its namespaced objects may be refused for
    // the missing namespace alone; everything else must pass.
    const refused = dry.stderr.split('\n').filter((l) => l.trim() && !/namespaces? "metallb-system" not found/.test(l));
    expect(refused, dry.stderr).toEqual([]);
    expect(dry.stdout).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/ipaddresspools\.metallb\.io serverside-applied \(server dry run\)/);
    const applied = await k(['apply', '--server-side', '-f', NATIVE]);
    expect(applied.code, applied.stderr).toBe(0);
    // Now every object passes the server dry run, namespaced ones included.
    const again = await k(['apply', '--server-side', '--dry-run=server', '-f', NATIVE]);
    expect(again.code, again.stderr).toBe(0);
    const before = JSON.parse((await k(['get', 'deployment', 'metallb-ts-controller', '-n', 'metallb-system', '-o', 'json'])).stdout) as Obj;
    expect((await k(['apply', '--server-side', '-f', NATIVE])).code).toBe(0);
    const after = JSON.parse((await k(['get', 'deployment', 'metallb-ts-controller', '-n', 'metallb-system', '-o', 'json'])).stdout) as Obj;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    for (const name of ['daemonset/metallb-ts-speaker', 'poddisruptionbudget/metallb-ts-controller', 'configmap/metallb-excludel2']) {
      expect((await k(['get', name, '-n', 'metallb-system'])).code, name).toBe(0);
    }
    const ns = JSON.parse((await k(['get', 'namespace', 'metallb-system', '-o', 'json'])).stdout) as Obj;
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('metallb.io objects created on the CRDs survive re-applying the manifest (a MetalLB user keeps them)', async () => {
    await eventually('the CRDs to be established', async () => ((await k(['wait', '--for=condition=Established', '--timeout=5s', 'crd/ipaddresspools.metallb.io', 'crd/l2advertisements.metallb.io'])).code === 0 ? true : undefined));
    const config = [readFileSync(join(repo, 'deploy/examples/ipaddresspool.yaml'), 'utf8'), readFileSync(join(repo, 'deploy/examples/l2advertisement.yaml'), 'utf8')].join('\n---\n');
    const created = await k(['apply', '--server-side', '-f', '-'], config);
    expect(created.code, created.stderr).toBe(0);
    expect((await k(['apply', '--server-side', '-f', NATIVE])).code).toBe(0);
    const pools = await k(['get', 'ipaddresspools.metallb.io', '-n', 'metallb-system', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(pools.stdout).toBe('first-pool');
  });

  it('moving from the manifest to Helm: `helm install --take-ownership --server-side=false` adopts the objects, nothing is deleted', async () => {
    const uid = (await k(['get', 'deployment', 'metallb-ts-controller', '-n', 'metallb-system', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    // Without --take-ownership Helm refuses objects it did not create.
    const refused = await helm(['install', 'metallb-ts', CHART, '--namespace', 'metallb-system'], { kubeconfig });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/exists and cannot be imported|invalid ownership metadata/);
    // Client-side apply (a three-way merge): with server-side apply, the fields kubectl applied
    // stay co-owned by kubectl and every later change would conflict.
    const installed = await helm(['install', 'metallb-ts', CHART, '--namespace', 'metallb-system', '--take-ownership', '--server-side=false'], { kubeconfig });
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    expect((await k(['get', 'deployment', 'metallb-ts-controller', '-n', 'metallb-system', '-o', 'jsonpath={.metadata.uid}'])).stdout).toBe(uid);
    expect((await k(['get', 'ipaddresspools.metallb.io', 'first-pool', '-n', 'metallb-system'])).code).toBe(0);
  });

  it('`helm upgrade` changes the Deployment; `helm uninstall` removes the workloads and keeps the CRDs and the metallb.io objects', async () => {
    const upgraded = await helm(['upgrade', 'metallb-ts', CHART, '--namespace', 'metallb-system', '--set', 'controller.logLevel=debug', '--set', 'controller.replicas=3'], { kubeconfig });
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stdout).toMatch(/REVISION: 2/);
    const dep = JSON.parse((await k(['get', 'deployment', 'metallb-ts-controller', '-n', 'metallb-system', '-o', 'json'])).stdout) as Obj;
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0].args).toContain('--log-level=debug');
    const status = await helm(['status', 'metallb-ts', '--namespace', 'metallb-system'], { kubeconfig });
    expect(status.stdout).toMatch(/STATUS: deployed/);

    const uninstalled = await helm(['uninstall', 'metallb-ts', '--namespace', 'metallb-system'], { kubeconfig });
    expect(uninstalled.code, uninstalled.stderr).toBe(0);
    await eventually('the workloads to be gone', async () => {
      const gone = await Promise.all(['deployment/metallb-ts-controller', 'daemonset/metallb-ts-speaker', 'poddisruptionbudget/metallb-ts-controller'].map(async (n) => (await k(['get', n, '-n', 'metallb-system'])).code !== 0));
      return gone.every(Boolean) ? true : undefined;
    });
    const crds = await k(['get', 'crd', '-o', 'name']);
    expect(crds.stdout.split('\n').filter((l) => l.endsWith('.metallb.io'))).toHaveLength(9);
    expect((await k(['get', 'ipaddresspools.metallb.io', 'first-pool', '-n', 'metallb-system'])).code).toBe(0);
    // A fresh install on the kept CRDs works (they still carry the release's annotations).
    writeFileSync(join(dir, 'values.yaml'), 'controller:\n  replicas: 1\n  leaderElect: false\n');
    const reinstall = await helm(['install', 'metallb-ts', CHART, '--namespace', 'metallb-system', '-f', join(dir, 'values.yaml')], { kubeconfig });
    expect(reinstall.code, reinstall.stderr).toBe(0);
    expect((await helm(['uninstall', 'metallb-ts', '--namespace', 'metallb-system'], { kubeconfig })).code).toBe(0);
  });

  it('the kubectl the tests use is the pinned one', () => {
    expect(binaryPaths().kubectl).toMatch(/kubernetes-v1\.37\.2\/kubectl$/);
  });
});
