/**
 * What the demo needs of kubectl when no kubectl is installed (a fresh machine): `apply` of the
 * guide's manifests and the two tables it shows, written through the API with kubectl's wording
 * and columns. The demo says when it uses this instead of kubectl.
 */
import { isApiError, type KubeClient, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';
import { parseAllDocuments } from 'yaml';

const KINDS: Record<string, { ref: ResourceRef; namespaced: boolean; name: string }> = {
  Namespace: { ref: { group: '', version: 'v1', plural: 'namespaces', namespaced: false }, namespaced: false, name: 'namespace' },
  Service: { ref: { group: '', version: 'v1', plural: 'services' }, namespaced: true, name: 'service' },
  IPAddressPool: { ref: { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' }, namespaced: true, name: 'ipaddresspool.metallb.io' },
  L2Advertisement: { ref: { group: 'metallb.io', version: 'v1beta1', plural: 'l2advertisements' }, namespaced: true, name: 'l2advertisement.metallb.io' },
  BGPAdvertisement: { ref: { group: 'metallb.io', version: 'v1beta1', plural: 'bgpadvertisements' }, namespaced: true, name: 'bgpadvertisement.metallb.io' },
  BGPPeer: { ref: { group: 'metallb.io', version: 'v1beta2', plural: 'bgppeers' }, namespaced: true, name: 'bgppeer.metallb.io' },
};

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** `kubectl apply -f` of multi-document YAML: one `<kind>/<name> created|configured|unchanged` line per object. */
export async function applyYaml(client: KubeClient, text: string): Promise<string> {
  const lines: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as KubeObject | null;
    if (!o) continue;
    const k = KINDS[o.kind ?? ''];
    if (!k) throw new Error(`kind ${o.kind} is not known to the lab's built-in apply (install kubectl)`);
    const ns = k.namespaced ? (o.metadata.namespace ?? 'default') : undefined;
    const name = o.metadata.name!;
    try {
      const cur = await client.get<KubeObject>(k.ref, ns, name);
      const spec = (o as { spec?: unknown }).spec;
      if (same((cur as { spec?: unknown }).spec, { ...((cur as { spec?: object }).spec ?? {}), ...((spec as object) ?? {}) })) {
        lines.push(`${k.name}/${name} unchanged`);
        continue;
      }
      await client.update(k.ref, ns, { ...cur, ...o, metadata: { ...cur.metadata, ...o.metadata, resourceVersion: cur.metadata.resourceVersion } } as KubeObject);
      lines.push(`${k.name}/${name} configured`);
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
      await client.create(k.ref, ns, o);
      lines.push(`${k.name}/${name} created`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function age(o: KubeObject): string {
  const t = Date.parse(String(o.metadata.creationTimestamp ?? ''));
  if (!Number.isFinite(t)) return '<unknown>';
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]! + 3))).join('').trimEnd()).join('\n')}\n`;
}

/** `kubectl get service NAME` (default namespace). */
export async function getServiceTable(client: KubeClient, name: string, namespace = 'default'): Promise<string> {
  const s = await client.get<KubeObject>(KINDS['Service']!.ref, namespace, name);
  const spec = s.spec as { type?: string; clusterIP?: string; ports?: { port: number; nodePort?: number; protocol?: string }[] };
  const ingress = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((i) => i.ip).filter(Boolean);
  const ports = (spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
  return table([
    ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    [name, spec.type ?? 'ClusterIP', spec.clusterIP ?? '<none>', ingress.length ? ingress.join(',') : '<pending>', ports || '<none>', age(s)],
  ]);
}

/** `kubectl get servicel2statuses -n metallb-system` (the CRD's printer columns). */
export async function getL2StatusTable(client: KubeClient, namespace = 'metallb-system'): Promise<string> {
  const l = await client.list<KubeObject>({ group: 'metallb.io', version: 'v1beta1', plural: 'servicel2statuses' }, { namespace });
  const rows = [['NAME', 'ALLOCATED NODE', 'SERVICE NAME', 'SERVICE NAMESPACE', 'INTERFACES', 'AGE']];
  for (const o of l.items) {
    const st = (o.status ?? {}) as { node?: string; serviceName?: string; serviceNamespace?: string; interfaces?: { name?: string }[] };
    rows.push([o.metadata.name!, st.node ?? '', st.serviceName ?? '', st.serviceNamespace ?? '', (st.interfaces ?? []).map((i) => i.name).join(' '), age(o)]);
  }
  return table(rows);
}
