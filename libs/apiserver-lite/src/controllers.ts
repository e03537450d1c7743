/**
 * What kube-controller-manager would do, where it is cheap: the EndpointSlice controller.
 * For each Service with a selector it keeps one EndpointSlice per address family listing the
 * Pods that match, are assigned an IP, and are Ready (`status.conditions[type=Ready]`).
 */
import { selectorMatches } from '@metallb-ts/labels';
import type { Api } from './api.js';
import { deepEqual } from './patch.js';
import { PATCH_TYPES } from './patch-types.js';
import type { KObject } from './store.js';

/** Label that marks slices this simulation owns. */
export const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const MANAGER = 'apiserver-lite';

function podReady(p: KObject): boolean {
  return !p.metadata.deletionTimestamp && (Array.isArray(p.status?.conditions) ? p.status.conditions : []).some((c: any) => c?.type === 'Ready' && c?.status === 'True');
}

function podIPs(p: KObject): string[] {
  const list = (Array.isArray(p.status?.podIPs) ? p.status.podIPs : []).map((x: any) => x?.ip).filter((x: unknown) => typeof x === 'string');
  return list.length ? list : p.status?.podIP ? [p.status.podIP] : [];
}

/** The slices a Service should have (pure). */
export function desiredSlices(svc: KObject, pods: KObject[]): KObject[] {
  const selector = svc.spec?.selector;
  if (!selector || typeof selector !== 'object' || Array.isArray(selector) || Object.keys(selector).length === 0) return [];
  // A Service selector is a label map: the metav1 selector with those matchLabels.
  const sel = { matchLabels: selector as Record<string, string> };
  // Stored objects are type-checked on write; a snapshot may still hold older, malformed ones.
  const families: string[] = Array.isArray(svc.spec?.ipFamilies) ? svc.spec.ipFamilies : ['IPv4'];
  const matching = pods.filter((p) => selectorMatches(sel, p.metadata.labels) && podIPs(p).length > 0);
  return families.map((fam) => {
    const endpoints = matching
      .map((p) => {
        const addr = podIPs(p).find((ip) => (fam === 'IPv6') === ip.includes(':'));
        if (!addr) return undefined;
        const ready = podReady(p);
        const ep: Record<string, unknown> = {
          addresses: [addr],
          conditions: { ready, serving: ready, terminating: !!p.metadata.deletionTimestamp },
          targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
        };
        if (p.spec?.nodeName) ep.nodeName = p.spec.nodeName;
        return ep;
      })
      .filter((x) => x !== undefined);
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${svc.metadata.name}-${fam === 'IPv6' ? 'v6' : 'v4'}`,
        namespace: svc.metadata.namespace!,
        labels: { 'kubernetes.io/service-name': svc.metadata.name, [MANAGED_BY]: MANAGER },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      addressType: fam,
      endpoints,
      ports: (Array.isArray(svc.spec?.ports) ? svc.spec.ports : []).map((p: any) => ({ name: p?.name ?? '', port: typeof p?.targetPort === 'number' ? p.targetPort : p?.port, protocol: p?.protocol ?? 'TCP' })),
    };
  });
}

/** Starts the simulated EndpointSlice controller; returns a stop function. */
export function startEndpointSliceController(api: Api): () => void {
  let stopped = false;
  const sliceType = () => api.types.get('discovery.k8s.io', 'v1', 'endpointslices')!;
  const sync = (ns: string) => {
    const services = api.store.list('/services', ns);
    const pods = api.store.list('/pods', ns);
    const existing = api.store.list('discovery.k8s.io/endpointslices', ns).filter((s) => s.metadata.labels?.[MANAGED_BY] === MANAGER);
    const want = new Map<string, KObject>();
    const terminating = !!api.store.get('/namespaces', undefined, ns)?.metadata.deletionTimestamp;
    if (!terminating) for (const svc of services) for (const s of desiredSlices(svc, pods)) want.set(s.metadata.name, s);
    const t = sliceType();
    for (const s of existing) if (!want.has(s.metadata.name)) api.delete(t, ns, s.metadata.name);
    for (const s of want.values()) {
      const cur = existing.find((x) => x.metadata.name === s.metadata.name);
      if (cur && deepEqual(cur.endpoints, s.endpoints) && deepEqual(cur.ports, s.ports) && deepEqual(cur.metadata.labels, s.metadata.labels)) continue;
      api.patch(t, ns, s.metadata.name, PATCH_TYPES.apply, s, { fieldManager: 'endpointslice-controller', force: true });
    }
  };
  api.onChange((key, obj) => {
    if (stopped) return;
    if ((key === '/services' || key === '/pods') && obj.metadata.namespace) sync(obj.metadata.namespace);
  });
  return () => {
    stopped = true;
  };
}
