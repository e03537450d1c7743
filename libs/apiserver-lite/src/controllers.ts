/**
 * What kube-controller-manager would do, where it is cheap: the EndpointSlice controller (for
 * each Service with a selector, one EndpointSlice per address family listing the Pods that
 * match, are assigned an IP, and are Ready) and the garbage collector (background deletion of
 * dependents whose owners are gone, by `metadata.ownerReferences`).
 */
import { selectorMatches } from '@metallb-ts/labels';
import type { Api } from './api.js';
import { deepEqual } from './patch.js';
import { PATCH_TYPES } from './patch-types.js';
import { storageKey, type ResourceType } from './resources.js';
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

/**
 * Starts the simulated EndpointSlice controller; returns a stop function. A Service change syncs
 * that Service's slices alone (its Pods listed once, its slices read by name): the cost of a write
 * does not grow with the number of Services. A Pod change syncs the Services of its namespace.
 */
export function startEndpointSliceController(api: Api): () => void {
  let stopped = false;
  const SLICES = 'discovery.k8s.io/endpointslices';
  const sliceType = () => api.types.get('discovery.k8s.io', 'v1', 'endpointslices')!;
  /** Brings the slices of Service `name` in `ns` to what `svc` (undefined: deleted) and `pods` want. */
  const syncService = (ns: string, name: string, svc: KObject | undefined, pods: () => KObject[], terminating: boolean) => {
    const want = new Map<string, KObject>();
    if (svc && !terminating) for (const s of desiredSlices(svc, pods())) want.set(s.metadata.name, s);
    const t = sliceType();
    for (const sliceName of [`${name}-v4`, `${name}-v6`]) {
      const cur = api.store.get(SLICES, ns, sliceName);
      const s = want.get(sliceName);
      if (!s) {
        if (cur && cur.metadata.labels?.[MANAGED_BY] === MANAGER) api.delete(t, ns, sliceName);
        continue;
      }
      if (cur && deepEqual(cur.endpoints, s.endpoints) && deepEqual(cur.ports, s.ports) && deepEqual(cur.metadata.labels, s.metadata.labels)) continue;
      api.patch(t, ns, sliceName, PATCH_TYPES.apply, s, { fieldManager: 'endpointslice-controller', force: true });
    }
  };
  const terminatingNs = (ns: string) => !!api.store.get('/namespaces', undefined, ns)?.metadata.deletionTimestamp;
  api.onChange((key, obj, deleted) => {
    if (stopped) return;
    const ns = obj.metadata.namespace;
    if (!ns) return;
    if (key === '/services') {
      let pods: KObject[] | undefined;
      syncService(ns, obj.metadata.name, deleted ? undefined : obj, () => (pods ??= api.store.list('/pods', ns)), terminatingNs(ns));
    } else if (key === '/pods') {
      const pods = api.store.list('/pods', ns);
      const terminating = terminatingNs(ns);
      for (const svc of api.store.list('/services', ns)) syncService(ns, svc.metadata.name, svc, () => pods, terminating);
    }
  });
  return () => {
    stopped = true;
  };
}

/** The field manager the simulated garbage collector writes as. */
export const GARBAGE_COLLECTOR_MANAGER = 'generic-garbage-collector';

/** One `metadata.ownerReferences` entry, as far as the garbage collector reads it. */
interface OwnerRef {
  apiVersion?: unknown;
  kind?: unknown;
  name?: unknown;
  uid?: unknown;
}

/** What became of an owner: it exists (same uid), it is gone, or its kind is unknown here. */
type OwnerState = 'present' | 'absent' | 'unknown';

const refsOf = (o: KObject): OwnerRef[] => (Array.isArray(o.metadata.ownerReferences) ? (o.metadata.ownerReferences as unknown[]) : []).filter((r): r is OwnerRef => typeof r === 'object' && r !== null);

/**
 * Starts the simulated garbage collector (kube-controller-manager's `garbagecollector`, background
 * propagation): when an object is deleted, every object that names it (by uid) in
 * `metadata.ownerReferences` loses that reference if another owner still exists, and is deleted
 * when none does; an object written with owners that are all gone is deleted at once. Owners of
 * kinds this server does not serve count as existing (the real collector cannot resolve them
 * either and leaves the dependent alone). Deletion is synchronous, inside the request that
 * deleted the owner, where kube-controller-manager takes a moment. Returns a stop function.
 */
export function startGarbageCollector(api: Api): () => void {
  let stopped = false;
  // owner uid -> ids of objects that name it; kept from change hooks (objects written inside
  // other hooks are not seen, so every candidate is checked against the store before use).
  const dependents = new Map<string, Set<string>>();
  const owners = new Map<string, string[]>();
  const idOf = (key: string, o: KObject) => JSON.stringify([key, o.metadata.namespace ?? '', o.metadata.name]);
  const track = (key: string, o: KObject, deleted: boolean) => {
    const id = idOf(key, o);
    for (const uid of owners.get(id) ?? []) dependents.get(uid)?.delete(id);
    owners.delete(id);
    const uids = deleted ? [] : refsOf(o).map((r) => r.uid).filter((u): u is string => typeof u === 'string');
    if (uids.length === 0) return;
    owners.set(id, uids);
    for (const uid of uids) {
      let set = dependents.get(uid);
      if (!set) dependents.set(uid, (set = new Set()));
      set.add(id);
    }
  };
  const typeOfKey = (key: string): ResourceType | undefined => {
    const i = key.indexOf('/');
    return api.types.storageType(key.slice(0, i), key.slice(i + 1));
  };
  const ownerState = (ref: OwnerRef, dependent: KObject): OwnerState => {
    if (typeof ref.apiVersion !== 'string' || typeof ref.kind !== 'string' || typeof ref.name !== 'string') return 'unknown';
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
    const t = api.types.all().find((x) => x.group === group && x.kind === ref.kind);
    if (!t) return 'unknown';
    if (t.namespaced && !dependent.metadata.namespace) return 'unknown';
    const owner = api.store.get(storageKey(t), t.namespaced ? dependent.metadata.namespace : undefined, ref.name);
    return owner && owner.metadata.uid === ref.uid ? 'present' : 'absent';
  };
  /** Deletes `o` or drops its dangling references, as the collector's attemptToDelete does. */
  const settle = (key: string, o: KObject) => {
    const refs = refsOf(o);
    if (refs.length === 0) return;
    const states = refs.map((r) => ownerState(r, o));
    if (!states.includes('absent')) return;
    const t = typeOfKey(key);
    if (!t) return;
    if (states.every((s) => s === 'absent')) {
      if (o.metadata.deletionTimestamp) return;
      const gone = api.delete(t, o.metadata.namespace, o.metadata.name);
      // Changes made inside a hook run no hooks: follow the chain here.
      if (!api.store.get(key, o.metadata.namespace, o.metadata.name)) {
        track(key, o, true);
        collect(gone);
      }
      return;
    }
    const kept = refs.filter((_, i) => states[i] !== 'absent');
    const updated = api.patch(t, o.metadata.namespace, o.metadata.name, PATCH_TYPES.merge, { metadata: { ownerReferences: kept } }, { fieldManager: GARBAGE_COLLECTOR_MANAGER });
    track(key, updated, false);
  };
  /** Settles every object that named `owner`. */
  const collect = (owner: KObject) => {
    const uid = owner.metadata.uid;
    if (typeof uid !== 'string') return;
    for (const id of [...(dependents.get(uid) ?? [])]) {
      const [key, ns, name] = JSON.parse(id) as [string, string, string];
      const o = api.store.get(key, ns || undefined, name);
      if (!o || !refsOf(o).some((r) => r.uid === uid)) continue;
      settle(key, o);
    }
  };
  for (const key of api.store.keys()) for (const o of api.store.list(key)) track(key, o, false);
  api.onChange((key, obj, deleted) => {
    if (stopped) return;
    track(key, obj, deleted);
    if (deleted) collect(obj);
    else if (refsOf(obj).length > 0) settle(key, obj);
  });
  return () => {
    stopped = true;
  };
}

/** Starts every simulated controller (EndpointSlices, garbage collection); returns one stop function. */
export function startControllers(api: Api): () => void {
  const stops = [startEndpointSliceController(api), startGarbageCollector(api)];
  return () => {
    for (const stop of stops) stop();
  };
}
