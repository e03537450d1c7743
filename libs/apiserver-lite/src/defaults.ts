/**
 * What the real server's registry strategies do to built-in kinds on write, limited to what
 * our system reads: Service defaults and ClusterIP/NodePort/health-check port allocation, the empty
 * status of a new Service and `ipMode` of its ingress, Namespace phase, label and finalizer,
 * Secret `stringData`, the status of a new Pod, and the CRD status conditions kubectl waits for.
 */
import { StatusError } from './errors.js';
import type { KObject } from './store.js';

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `v` if it is an array, else empty (a stored object may predate the type checks). */
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** Where {@link ServiceAllocator} would allocate next (see {@link ServiceAllocator.mark}). */
export interface AllocatorMark {
  readonly v4: number;
  readonly v6: number;
  readonly nodePort: number;
}

/** Allocators for Service cluster IPs and node ports (sequential; state survives only in objects). */
export class ServiceAllocator {
  private v4 = 10;
  private v6 = 10;
  private nodePort = 30000;
  private readonly used = new Set<string>();

  /** Marks addresses and ports of existing Services as used (after a restart). */
  observe(svc: KObject): void {
    for (const ip of arr(svc.spec?.clusterIPs)) this.used.add(String(ip));
    for (const p of arr(svc.spec?.ports)) if (p?.nodePort) this.used.add(`port:${p.nodePort}`);
    if (svc.spec?.healthCheckNodePort) this.used.add(`port:${svc.spec.healthCheckNodePort}`);
  }

  /** The allocation cursors, to {@link rewind} to when a write is rolled back. */
  mark(): AllocatorMark {
    return { v4: this.v4, v6: this.v6, nodePort: this.nodePort };
  }

  /**
   * Undoes allocations since `mark`: cursors go back and every address and port is forgotten;
   * then {@link observe} the stored Services again.
   */
  rewind(mark: AllocatorMark): void {
    ({ v4: this.v4, v6: this.v6, nodePort: this.nodePort } = mark);
    this.used.clear();
  }

  /** Frees a Service's addresses and ports. */
  release(svc: KObject): void {
    for (const ip of arr(svc.spec?.clusterIPs)) this.used.delete(String(ip));
    for (const p of arr(svc.spec?.ports)) if (p?.nodePort) this.used.delete(`port:${p.nodePort}`);
    if (svc.spec?.healthCheckNodePort) this.used.delete(`port:${svc.spec.healthCheckNodePort}`);
  }

  /** Next free IPv4 in 10.96.0.0/12 or IPv6 in fd00:10:96::/108. */
  ip(family: 'IPv4' | 'IPv6'): string {
    for (let i = 0; i < 1 << 20; i++) {
      const ip = family === 'IPv4' ? `10.${96 + ((this.v4 >> 16) & 15)}.${(this.v4 >> 8) & 255}.${this.v4 & 255}` : `fd00:10:96::${(this.v6).toString(16)}`;
      if (family === 'IPv4') this.v4 = (this.v4 + 1) % (1 << 20) || 10;
      else this.v6 = (this.v6 + 1) % (1 << 20) || 10;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
  }

  /** Next free node port in 30000–32767. */
  port(): number {
    for (let i = 0; i < 2768; i++) {
      const p = this.nodePort;
      this.nodePort = p >= 32767 ? 30000 : p + 1;
      if (!this.used.has(`port:${p}`)) {
        this.used.add(`port:${p}`);
        return p;
      }
    }
    throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
  }
}

/** Service defaults (`SetDefaults_Service` and the REST strategy's allocation), applied on create and update. */
export function defaultService(svc: KObject, old: KObject | undefined, alloc: ServiceAllocator): KObject {
  const spec: Record<string, any> = isObj(svc.spec) ? { ...svc.spec } : {};
  const oldSpec: Record<string, any> = isObj(old?.spec) ? old!.spec : {};
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (Array.isArray(spec.ports)) {
    spec.ports = spec.ports.map((p: any) => {
      if (!isObj(p)) return p;
      const q: Record<string, any> = { ...p, protocol: p.protocol ?? 'TCP' };
      if (q.targetPort === undefined && q.port !== undefined) q.targetPort = q.port;
      const prev = arr(oldSpec.ports).find((o: any) => o?.port === q.port && (o?.protocol ?? 'TCP') === q.protocol);
      if ((spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)) && !q.nodePort)
        q.nodePort = prev?.nodePort ?? alloc.port();
      return q;
    });
  }
  if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') {
    spec.externalTrafficPolicy ??= 'Cluster';
    if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  }
  // A LoadBalancer Service with externalTrafficPolicy Local gets a health-check node port
  // (kept across updates); no other Service has one.
  if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') spec.healthCheckNodePort ||= oldSpec.healthCheckNodePort || alloc.port();
  else delete spec.healthCheckNodePort;
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ??= 'Cluster';
    // Allocated values survive updates that omit them, as PatchAllocatedValues does.
    if (spec.clusterIP === undefined && oldSpec.clusterIP !== undefined) {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs ??= oldSpec.clusterIPs;
      spec.ipFamilies ??= oldSpec.ipFamilies;
      spec.ipFamilyPolicy ??= oldSpec.ipFamilyPolicy;
    }
    const policy: string = spec.ipFamilyPolicy ?? 'SingleStack';
    let families: string[] = Array.isArray(spec.ipFamilies) && spec.ipFamilies.length ? spec.ipFamilies : ['IPv4'];
    if (policy !== 'SingleStack' && families.length === 1) families = [families[0]!, families[0] === 'IPv4' ? 'IPv6' : 'IPv4'];
    if (policy === 'SingleStack') families = families.slice(0, 1);
    spec.ipFamilies = families;
    spec.ipFamilyPolicy = policy;
    if (spec.clusterIP === 'None') spec.clusterIPs = ['None'];
    else if (spec.clusterIP === undefined || spec.clusterIP === '') {
      spec.clusterIPs = families.map((f) => alloc.ip(f as 'IPv4' | 'IPv6'));
      spec.clusterIP = spec.clusterIPs[0];
    } else spec.clusterIPs ??= [spec.clusterIP];
  }
  // A create starts with an empty status, whatever the request said (PrepareForCreate).
  const status: Record<string, any> = old === undefined || !isObj(svc.status) ? { loadBalancer: {} } : { ...svc.status };
  // Ingress IPs of a LoadBalancer default to ipMode VIP (Kubernetes ≥ 1.32).
  if (spec.type === 'LoadBalancer' && isObj(status.loadBalancer) && Array.isArray(status.loadBalancer.ingress)) {
    status.loadBalancer = { ...status.loadBalancer, ingress: status.loadBalancer.ingress.map((i: unknown) => (isObj(i) && i.ip && i.ipMode === undefined ? { ...i, ipMode: 'VIP' } : i)) };
  }
  return { ...svc, spec, status };
}

/**
 * Namespace defaults: `status.phase`, the `kubernetes.io/metadata.name` label (always equal to the
 * name, re-added when removed) and the `kubernetes` finalizer in `spec.finalizers`.
 */
export function defaultNamespace(ns: KObject): KObject {
  const spec: Record<string, any> = isObj(ns.spec) ? { ...ns.spec } : {};
  const finalizers = arr(spec.finalizers);
  spec.finalizers = finalizers.includes('kubernetes') ? finalizers : [...finalizers, 'kubernetes'];
  const labels = { ...(isObj(ns.metadata.labels) ? ns.metadata.labels : {}), 'kubernetes.io/metadata.name': ns.metadata.name };
  return { ...ns, metadata: { ...ns.metadata, labels }, spec, status: { phase: ns.metadata.deletionTimestamp ? 'Terminating' : 'Active', ...(isObj(ns.status) ? ns.status : {}) } };
}

/**
 * Secret defaults: `stringData` is written into `data` (base64, winning over `data` for the same
 * key) and dropped, as the real server does before storing; `type` defaults to `Opaque`.
 */
export function defaultSecret(secret: KObject): KObject {
  const { stringData, ...rest } = secret;
  const data: Record<string, unknown> = isObj(rest.data) ? { ...rest.data } : {};
  if (isObj(stringData)) for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
  const out: KObject = { ...rest, type: rest.type ?? 'Opaque' };
  if (Object.keys(data).length > 0) out.data = data;
  return out;
}

/**
 * Pod status on create: what a request says is dropped; a Pod starts `Pending` with the QoS
 * class its containers' resources give it.
 */
export function defaultPodStatus(pod: KObject): KObject {
  const containers = arr(pod.spec?.containers);
  const res = containers.map((c: any) => (isObj(c?.resources) ? c.resources : {}));
  const set = (r: any, kind: 'requests' | 'limits') => (isObj(r[kind]) ? Object.keys(r[kind]).length > 0 : false);
  const guaranteed = res.length > 0 && res.every((r: any) => set(r, 'limits') && ['cpu', 'memory'].every((k) => r.limits?.[k] !== undefined && (r.requests?.[k] === undefined || String(r.requests[k]) === String(r.limits[k]))));
  const qosClass = guaranteed ? 'Guaranteed' : res.some((r: any) => set(r, 'requests') || set(r, 'limits')) ? 'Burstable' : 'BestEffort';
  return { ...pod, status: { phase: 'Pending', qosClass } };
}

/**
 * What the registry strategies of built-in kinds do on write, by storage key: Service defaults and
 * allocation, Namespace defaults, Secret `stringData`, Pod status on create. Other kinds are
 * returned as they are. `old` is the stored object on update (undefined on create).
 */
export function prepareBuiltin(key: string, obj: KObject, old: KObject | undefined, alloc: ServiceAllocator): KObject {
  switch (key) {
    case '/services':
      return defaultService(obj, old, alloc);
    case '/namespaces':
      return defaultNamespace(obj);
    case '/secrets':
      return defaultSecret(obj);
    case '/pods':
      return old === undefined ? defaultPodStatus(obj) : obj;
    default:
      return obj;
  }
}

/** The conditions a real server sets once a CRD is served (`kubectl wait --for condition=Established`). */
export function establishedCrd(crd: KObject, time: string): KObject {
  const spec = crd.spec ?? {};
  return {
    ...crd,
    status: {
      acceptedNames: spec.names ?? {},
      storedVersions: (spec.versions ?? []).filter((v: any) => v?.storage).map((v: any) => v.name),
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: crd.status?.conditions?.[0]?.lastTransitionTime ?? time },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: crd.status?.conditions?.[1]?.lastTransitionTime ?? time },
      ],
    },
  };
}
