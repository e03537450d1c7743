/**
 * The lab's kube-proxy: the nftables ruleset one node applies so that traffic to a Service's
 * LoadBalancer IPs reaches its endpoints, the way kube-proxy's nftables/iptables modes do it:
 *
 * - `externalTrafficPolicy: Cluster` — DNAT to any ready endpoint (random), and masquerade so the
 *   reply comes back through this node (the pod sees the node's address, not the client's);
 * - `externalTrafficPolicy: Local` — DNAT only to ready endpoints on this node, no masquerade (the
 *   pod sees the client's address); with none on this node the packet is dropped, as kube-proxy
 *   does (MetalLB's speakers do not announce from such a node, so nothing should arrive).
 *
 * No address is put on any interface (so, unlike kube-proxy's IPVS mode with its `kube-ipvs0`
 * dummy device, no node answers ARP for a Service IP by itself: the node agent also sets
 * `arp_ignore=1`/`arp_announce=2`, the `strictARP: true` MetalLB requires of IPVS mode).
 * Pure: objects in, ruleset text out (applied atomically with `nft -f -`).
 */

/** The nftables table the lab owns in each node namespace. */
export const PROXY_TABLE = 'metallb-lab-proxy';
/** The masquerade mark (kube-proxy's 0x4000). */
export const MASQ_MARK = 0x4000;

/** The parts of a Service the proxy reads. */
export interface ProxyService {
  readonly namespace: string;
  readonly name: string;
  readonly local: boolean;
  /** LoadBalancer ingress IPs (status.loadBalancer.ingress[].ip). */
  readonly ingress: readonly string[];
  readonly ports: readonly { readonly name?: string; readonly port: number; readonly protocol: string; readonly targetPort?: number | string }[];
}

/** One endpoint address of a Service. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly nodeName?: string;
  readonly ready: boolean;
  /** port name → port number (the EndpointSlice's ports). */
  readonly ports: Readonly<Record<string, number>>;
}

/** Reads a Service object. Non-LoadBalancer Services yield undefined. */
export function serviceFromObject(o: { metadata: { name?: string; namespace?: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> }): ProxyService | undefined {
  const spec = (o.spec ?? {}) as { type?: string; externalTrafficPolicy?: string; ports?: { name?: string; port: number; protocol?: string; targetPort?: number | string }[] };
  if (spec.type !== 'LoadBalancer') return undefined;
  const ingress = ((o.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
  return {
    namespace: o.metadata.namespace ?? 'default',
    name: o.metadata.name ?? '',
    local: spec.externalTrafficPolicy === 'Local',
    ingress,
    ports: (spec.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP', ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}) })),
  };
}

/** Reads the endpoints of an EndpointSlice object. */
export function endpointsFromSlice(o: { endpoints?: unknown; ports?: unknown }): ProxyEndpoint[] {
  const ports: Record<string, number> = {};
  for (const p of (o.ports as { name?: string; port?: number }[] | undefined) ?? []) if (p.port) ports[p.name ?? ''] = p.port;
  return ((o.endpoints as { addresses?: string[]; nodeName?: string; conditions?: { ready?: boolean } }[] | undefined) ?? []).flatMap((e) =>
    (e.addresses ?? []).map((address) => ({ address, ...(e.nodeName ? { nodeName: e.nodeName } : {}), ready: e.conditions?.ready !== false, ports })),
  );
}

const isV6 = (a: string) => a.includes(':');

function chainName(svc: ProxyService, family: 'v4' | 'v6', port: { name?: string; port: number; protocol: string }): string {
  const raw = `svc-${svc.namespace}-${svc.name}-${family}-${port.protocol.toLowerCase()}-${port.port}`;
  return raw.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * The ruleset for `node`: for every Service, LoadBalancer IP and port, a jump to a chain that
 * DNATs to the chosen endpoints of the IP's family. The text replaces the whole table atomically.
 */
export function proxyRuleset(node: string, services: readonly ProxyService[], endpoints: ReadonlyMap<string, readonly ProxyEndpoint[]>): string {
  const dispatch: string[] = [];
  const chains: string[] = [];
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const svc of sorted) {
    const eps = (endpoints.get(`${svc.namespace}/${svc.name}`) ?? []).filter((e) => e.ready && (!svc.local || e.nodeName === node));
    for (const family of ['v4', 'v6'] as const) {
      const ips = svc.ingress.filter((a) => isV6(a) === (family === 'v6'));
      if (ips.length === 0) continue;
      for (const port of svc.ports) {
        const proto = port.protocol.toLowerCase();
        if (proto !== 'tcp' && proto !== 'udp') continue;
        const targets = eps
          .filter((e) => isV6(e.address) === (family === 'v6'))
          .map((e) => ({ address: e.address, port: e.ports[port.name ?? ''] ?? (typeof port.targetPort === 'number' ? port.targetPort : port.port) }))
          .sort((a, b) => a.address.localeCompare(b.address));
        const match = (ip: string) => `${family === 'v6' ? 'ip6' : 'ip'} daddr ${ip} ${proto} dport ${port.port}`;
        if (targets.length === 0) {
          for (const ip of ips) dispatch.push(`    ${match(ip)} drop`);
          continue;
        }
        const chain = chainName(svc, family, port);
        for (const ip of ips) dispatch.push(`    ${match(ip)} jump ${chain}`);
        const map = targets.map((t, i) => `${i} : ${t.address} . ${t.port}`).join(', ');
        chains.push(`  chain ${chain} {`);
        if (!svc.local) chains.push(`    meta mark set meta mark | 0x${MASQ_MARK.toString(16)}`);
        chains.push(`    meta l4proto ${proto} dnat ${family === 'v6' ? 'ip6' : 'ip'} to numgen random mod ${targets.length} map { ${map} }`);
        chains.push('  }');
      }
    }
  }
  return [
    `table inet ${PROXY_TABLE}`,
    `delete table inet ${PROXY_TABLE}`,
    `table inet ${PROXY_TABLE} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    jump services',
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    '    jump services',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    meta mark & 0x${MASQ_MARK.toString(16)} == 0x${MASQ_MARK.toString(16)} masquerade`,
    '  }',
    '  chain services {',
    ...dispatch,
    '  }',
    ...chains,
    '}',
    '',
  ].join('\n');
}
