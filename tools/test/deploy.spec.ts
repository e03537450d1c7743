/**
 * deploy/: the native manifest says what the issue and MetalLB's manifests say (security,
 * probes, environment, memberlist, labels), the CRD copies that kustomize and Helm need equal
 * deploy/crds, and the chart's values keep MetalLB's names. Pure file checks; the real
 * control plane, kustomize, Helm and the OpenAPI schemas are in tools/kube/test/deploy.int.spec.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

type Container = {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number; protocol: string }[];
  livenessProbe: { httpGet: { host?: string; path: string; port: string } };
  readinessProbe: { httpGet: { host?: string; path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: { runAsUser?: number; allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[]; add?: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
};
type PodSpec = {
  serviceAccountName: string;
  hostNetwork?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  tolerations?: { key: string; operator: string; effect: string }[];
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string }; configMap?: { name: string; optional?: boolean } }[];
};
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

const native: Obj[] = parseAllDocuments(read('deploy/manifests/metallb-ts-native.yaml')).map((d) => d.toJS() as Obj);
const find = (kind: string, name?: string) => {
  const o = native.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`deploy/manifests/metallb-ts-native.yaml has no ${kind}${name ? `/${name}` : ''}`);
  return o;
};
const controller = find('Deployment', 'metallb-ts-controller');
const speaker = find('DaemonSet', 'metallb-ts-speaker');
const podSpec = (o: Obj) => o.spec.template.spec as PodSpec;
const container = (o: Obj) => podSpec(o).containers[0]!;
const envOf = (c: Container) => new Map(c.env.map((e) => [e.name, e.value ?? `fieldRef:${e.valueFrom?.fieldRef?.fieldPath}`]));

describe('deploy/manifests/metallb-ts-native.yaml', () => {
  it('is everything in metallb-system: the namespace with privileged Pod Security, the CRDs, the workloads', () => {
    const ns = find('Namespace');
    expect(ns.metadata.name).toBe('metallb-system');
    for (const mode of ['enforce', 'audit', 'warn']) expect(ns.metadata.labels?.[`pod-security.kubernetes.io/${mode}`]).toBe('privileged');
    for (const o of native) {
      if (['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('metallb-system');
    }
    expect(native.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name).sort()).toEqual(
      readdirSync(join(root, 'deploy/crds')).map((f) => `${/^metallb\.io_(.+)\.yaml$/.exec(f)![1]}.metallb.io`).sort(),
    );
  });

  it('keeps the CRDs of deploy/crds unchanged (a MetalLB user keeps every metallb.io object)', () => {
    for (const f of readdirSync(join(root, 'deploy/crds'))) {
      const crd = parse(read(`deploy/crds/${f}`)) as Obj;
      expect(find('CustomResourceDefinition', crd.metadata.name)).toEqual(crd);
    }
  });

  it('labels every workload app: metallb-ts, component: controller|speaker, selectors and pods alike', () => {
    for (const [w, component] of [[controller, 'controller'], [speaker, 'speaker']] as const) {
      const labels = { app: 'metallb-ts', component };
      expect(w.metadata.labels).toEqual(labels);
      expect(w.spec.selector.matchLabels).toEqual(labels);
      expect(w.spec.template.metadata.labels).toEqual(labels);
      expect(container(w).image).toMatch(new RegExp(`^ghcr\\.io/metallb-ts/${component}:v\\d+\\.\\d+\\.\\d+$`));
    }
    expect(container(controller).image.split(':')[1]).toBe(container(speaker).image.split(':')[1]);
  });

  it('controller: 2 replicas with --leader-elect, non-root, read-only root, no capabilities, probes on /livez and /readyz', () => {
    expect(controller.spec.replicas).toBe(2);
    const c = container(controller);
    expect(c.args).toEqual(['--port=7472', '--log-level=info', '--leader-elect', '--metrics-secure', '--metrics-bind-address=:9120']);
    expect(podSpec(controller).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'probes' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'probes' });
    expect(c.ports.find((p) => p.name === 'probes')?.containerPort).toBe(7472);
    expect(c.ports.find((p) => p.name === 'metricshttps')?.containerPort).toBe(9120);
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits?.memory).toBeDefined();
    expect(podSpec(controller).serviceAccountName).toBe('controller');
  });

  it('controller: MetalLB environment — namespace, memberlist secret name, its owner Deployment, pod name', () => {
    const env = envOf(container(controller));
    expect(env.get('METALLB_NAMESPACE')).toBe('fieldRef:metadata.namespace');
    expect(env.get('METALLB_ML_SECRET_NAME')).toBe('memberlist');
    expect(env.get('METALLB_DEPLOYMENT')).toBe(controller.metadata.name);
    expect(env.get('METALLB_POD_NAME')).toBe('fieldRef:metadata.name');
  });

  it('a PodDisruptionBudget keeps one controller replica', () => {
    const pdb = find('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(controller.spec.selector.matchLabels);
  });

  it('speaker: host network, CAP_NET_RAW only, read-only root, control-plane tolerations, probes on 127.0.0.1', () => {
    const p = podSpec(speaker);
    const c = container(speaker);
    expect(p.hostNetwork).toBe(true);
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW'] });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(p.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    );
    expect(c.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/livez', port: 'probes' });
    expect(c.readinessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/readyz', port: 'probes' });
    expect(c.args).toEqual(['--port=7472', '--log-level=info', '--metrics-secure', '--metrics-bind-address=:9120']);
    expect(c.ports.map((x) => `${x.name} ${x.containerPort}/${x.protocol}`).sort()).toEqual(['memberlist-tcp 7946/TCP', 'memberlist-udp 7946/UDP', 'metricshttps 9120/TCP', 'probes 7472/TCP']);
    expect(p.serviceAccountName).toBe('speaker');
  });

  it('speaker: node, host and memberlist address from the downward API; METALLB_ML_LABELS selects exactly the speaker pods', () => {
    const env = envOf(container(speaker));
    expect(env.get('METALLB_NODE_NAME')).toBe('fieldRef:spec.nodeName');
    expect(env.get('METALLB_HOST')).toBe('fieldRef:status.hostIP');
    expect(env.get('METALLB_ML_BIND_ADDR')).toBe('fieldRef:status.podIP');
    const selector = Object.fromEntries(env.get('METALLB_ML_LABELS')!.split(',').map((kv) => kv.split('=') as [string, string]));
    expect(selector).toEqual(speaker.spec.template.metadata.labels);
    // ... and not the controller's pods.
    expect(Object.entries(selector).every(([k, v]) => controller.spec.template.metadata.labels[k] === v)).toBe(false);
  });

  it('speaker: the memberlist Secret mounted where METALLB_ML_SECRET_KEY_PATH points, as MetalLB does', () => {
    const c = container(speaker);
    const path = envOf(c).get('METALLB_ML_SECRET_KEY_PATH');
    const mount = c.volumeMounts.find((m) => m.mountPath === path);
    expect(mount?.readOnly).toBe(true);
    const volume = podSpec(speaker).volumes.find((v) => v.name === mount!.name);
    expect(volume?.secret?.secretName).toBe(envOf(container(controller)).get('METALLB_ML_SECRET_NAME'));
  });

  it('speaker: the excludel2 ConfigMap is shipped and mounted at /etc/metallb, the memberlist tuning ConfigMap is optional', () => {
    const cm = find('ConfigMap', 'metallb-excludel2');
    const list = (parse(cm.data!['excludel2.yaml']!) as { announcedInterfacesToExclude: string[] }).announcedInterfacesToExclude;
    expect(list).toEqual(expect.arrayContaining(['^veth.*', '^lo$', '^docker.*', '^cali.*']));
    for (const re of list) expect(() => new RegExp(re)).not.toThrow();
    const c = container(speaker);
    const byPath = new Map(c.volumeMounts.map((m) => [m.mountPath, podSpec(speaker).volumes.find((v) => v.name === m.name)]));
    expect(byPath.get('/etc/metallb')?.configMap?.name).toBe('metallb-excludel2');
    expect(byPath.get('/etc/metallb/memberlist')?.configMap).toEqual(expect.objectContaining({ name: 'metallb-memberlist-config', optional: true }));
  });

  it('every volume mount names a volume, every probe port names a container port', () => {
    for (const w of [controller, speaker]) {
      const c = container(w);
      const volumes = new Set(podSpec(w).volumes.map((v) => v.name));
      for (const m of c.volumeMounts) expect(volumes.has(m.name), `${w.metadata.name}: mount ${m.name}`).toBe(true);
      for (const probe of [c.livenessProbe, c.readinessProbe]) expect(c.ports.map((p) => p.name)).toContain(probe.httpGet.port);
    }
  });
});

describe('the CRD copies kustomize and Helm load (their roots cannot reach deploy/crds)', () => {
  const crds = readdirSync(join(root, 'deploy/crds')).sort();
  for (const dir of ['deploy/kustomize/crds', 'deploy/charts/metallb-ts/files/crds']) {
    it(`${dir} equals deploy/crds byte for byte (else run: bash deploy/render.sh)`, () => {
      expect(readdirSync(join(root, dir)).filter((f) => f.startsWith('metallb.io_')).sort()).toEqual(crds);
      for (const f of crds) expect(read(`${dir}/${f}`), `${dir}/${f}`).toBe(read(`deploy/crds/${f}`));
    });
  }
  it('the RBAC of the base (deploy/kustomize/base/rbac.yaml, once written) is in the kustomization and copied for the chart', () => {
    const base = join(root, 'deploy/kustomize/base/rbac.yaml');
    const copy = join(root, 'deploy/charts/metallb-ts/files/rbac.yaml');
    const resources = (parse(read('deploy/kustomize/base/kustomization.yaml')) as { resources: string[] }).resources;
    if (existsSync(base)) {
      expect(resources, 'run bash deploy/render.sh').toContain('rbac.yaml');
      expect(existsSync(copy) && readFileSync(copy, 'utf8'), 'run bash deploy/render.sh').toBe(readFileSync(base, 'utf8'));
    } else {
      expect(resources).not.toContain('rbac.yaml');
      expect(existsSync(copy)).toBe(false);
    }
  });
  it('deploy/kustomize/crds/kustomization.yaml lists every copy', () => {
    expect((parse(read('deploy/kustomize/crds/kustomization.yaml')) as { resources: string[] }).resources.sort()).toEqual(crds);
  });
});

describe('deploy/charts/metallb-ts', () => {
  const values = parse(read('deploy/charts/metallb-ts/values.yaml')) as Record<string, any>;
  const chart = parse(read('deploy/charts/metallb-ts/Chart.yaml')) as { name: string; appVersion: string; kubeVersion: string };
  it("keeps MetalLB's chart value names where the setting exists", () => {
    const paths = [
      'rbac.create',
      'crds.enabled',
      'loadBalancerClass',
      'prometheus.scrapeAnnotations',
      'prometheus.speakerMetricsTLSSecret',
      'prometheus.controllerMetricsTLSSecret',
      'prometheus.serviceAccount',
      'prometheus.namespace',
      'prometheus.rbacPrometheus',
      'prometheus.podMonitor.enabled',
      'prometheus.serviceMonitor.enabled',
      'prometheus.serviceMonitor.controller.tlsConfig',
      'prometheus.serviceMonitor.speaker.tlsConfig',
      'controller.enabled',
      'controller.logLevel',
      'controller.image.repository',
      'controller.serviceAccount.create',
      'controller.serviceAccount.name',
      'controller.tolerations',
      'controller.nodeSelector',
      'controller.resources',
      'controller.livenessProbe.enabled',
      'speaker.enabled',
      'speaker.logLevel',
      'speaker.tolerateMaster',
      'speaker.memberlist.enabled',
      'speaker.memberlist.mlBindPort',
      'speaker.memberlist.mlSecretKeyPath',
      'speaker.excludeInterfaces.enabled',
      'speaker.ignoreExcludeLB',
      'speaker.image.repository',
      'speaker.serviceAccount.name',
      'speaker.tolerations',
      'speaker.nodeSelector',
    ];
    for (const p of paths) {
      const v = p.split('.').reduce<any>((o, k) => (o === undefined ? undefined : o[k]), values);
      expect(v, `values.yaml has no ${p}`).not.toBeUndefined();
    }
  });
  it('defaults match the native manifest: images, ServiceAccounts, replicas, memberlist port, log level', () => {
    expect(`${values.controller.image.repository}:${values.controller.image.tag || chart.appVersion}`).toBe(container(controller).image);
    expect(`${values.speaker.image.repository}:${values.speaker.image.tag || chart.appVersion}`).toBe(container(speaker).image);
    expect(values.controller.serviceAccount.name).toBe(podSpec(controller).serviceAccountName);
    expect(values.speaker.serviceAccount.name).toBe(podSpec(speaker).serviceAccountName);
    expect(values.controller.replicas).toBe(controller.spec.replicas);
    expect(values.speaker.memberlist.mlBindPort).toBe(container(speaker).ports.find((p) => p.name === 'memberlist-tcp')!.containerPort);
    expect(values.prometheus.metricsPort).toBe(9120);
    expect(chart.name).toBe('metallb-ts');
    expect(chart.kubeVersion).toBe('>=1.31.0-0'); // the CRDs' CEL IP/CIDR libraries (deploy/README.md)
  });
});
