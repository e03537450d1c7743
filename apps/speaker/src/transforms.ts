/**
 * From cached Kubernetes objects to the core's inputs (pure): Services with their endpoints,
 * Nodes, and the interface exclusion list of the `metallb-excludel2` ConfigMap / file.
 */
import { hasAnnotation, SERVICE_ANNOTATIONS, serviceKey, statusIPs, type ServiceLike } from '@metallb-ts/app-runtime';
import { endpointCanServe, type EndpointInput } from '@metallb-ts/election';
import type { KubeObject } from '@metallb-ts/k8s-watch';
import { parse as parseYaml } from 'yaml';
import type { SpeakerNode, SpeakerService } from './core/index.js';

/** The label linking an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

interface SliceEndpoint {
  addresses?: string[];
  nodeName?: string;
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
}

/** The Service key an EndpointSlice belongs to, or undefined without the label. */
export function sliceServiceKey(slice: KubeObject): string | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata.namespace ?? ''}/${name}` : undefined;
}

/** The endpoints of a slice as the election reads them (MetalLB's serving rule). */
export function sliceEndpoints(slice: KubeObject): EndpointInput[] {
  const eps = ((slice as { endpoints?: SliceEndpoint[] }).endpoints ?? []) as SliceEndpoint[];
  return eps.map((e) => {
    const c = e.conditions ?? {};
    const serving = endpointCanServe({ ...(c.ready != null ? { ready: c.ready } : {}), ...(c.serving != null ? { serving: c.serving } : {}) });
    return { ...(e.nodeName ? { nodeName: e.nodeName } : {}), serving, addresses: e.addresses?.length ?? 0 };
  });
}

/** A Service as the core reads it. */
export function speakerService(s: ServiceLike & KubeObject, endpoints: readonly EndpointInput[]): SpeakerService {
  return {
    key: serviceKey(s),
    namespace: s.metadata.namespace ?? '',
    name: s.metadata.name,
    type: s.spec?.type,
    labels: s.metadata.labels ?? {},
    externalTrafficPolicy: s.spec?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    allowSharedIp: hasAnnotation(s, SERVICE_ANNOTATIONS.allowSharedIP),
    ips: statusIPs(s),
    endpoints,
  };
}

interface NodeStatus {
  conditions?: { type?: string; status?: string }[];
  addresses?: { type?: string; address?: string }[];
}

/** A Node as the core reads it. */
export function speakerNode(n: KubeObject): SpeakerNode {
  const st = (n.status ?? {}) as NodeStatus;
  const addrs = st.addresses ?? [];
  const of = (t: string) => addrs.filter((a) => a.type === t && a.address).map((a) => a.address!);
  return {
    name: n.metadata.name,
    labels: n.metadata.labels ?? {},
    networkUnavailable: (st.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
    addresses: [...of('InternalIP'), ...of('ExternalIP')],
  };
}

/** The outcome of reading an exclusion list. */
export type ExcludeList = { readonly kind: 'ok'; readonly patterns: readonly RegExp[]; readonly texts: readonly string[] } | { readonly kind: 'invalid'; readonly message: string };

/**
 * Parses MetalLB's `excludel2.yaml` (`announcedInterfacesToExclude: [regex, …]`). Empty text = no
 * exclusion. A bad document or regex is `invalid` (the caller keeps its previous list).
 */
export function parseExcludeList(text: string): ExcludeList {
  if (text.trim() === '') return { kind: 'ok', patterns: [], texts: [] };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { kind: 'invalid', message: `not YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (doc === null || doc === undefined) return { kind: 'ok', patterns: [], texts: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { kind: 'invalid', message: 'expected a mapping with announcedInterfacesToExclude' };
  const list = (doc as Record<string, unknown>)['announcedInterfacesToExclude'] ?? [];
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return { kind: 'invalid', message: 'announcedInterfacesToExclude must be a list of strings' };
  const patterns: RegExp[] = [];
  for (const t of list as string[]) {
    try {
      patterns.push(new RegExp(t));
    } catch (e) {
      return { kind: 'invalid', message: `announcedInterfacesToExclude: ${JSON.stringify(t)} is not a regular expression (${(e as Error).message})` };
    }
  }
  return { kind: 'ok', patterns, texts: list as string[] };
}

/** Interface names left after the exclusion list (§6.4). */
export function includedInterfaces(names: readonly string[], exclude: readonly RegExp[]): string[] {
  return names.filter((n) => !exclude.some((re) => re.test(n))).sort();
}
