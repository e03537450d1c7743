/**
 * The differential scenarios: inputs only (YAML and kubectl verbs), never expected values — the
 * expected answer is whatever MetalLB's controller does with the same inputs.
 */
export type Step =
  | { readonly note: string; readonly apply: string }
  | { readonly note: string; readonly kubectl: readonly string[] }
  | { readonly note: string; readonly restart: true };

export interface Scenario {
  readonly name: string;
  /** The Services' namespace (created fresh). */
  readonly ns: string;
  readonly nsLabels?: Record<string, string>;
  readonly steps: readonly Step[];
}

const NS = 'metallb-system';

interface PoolOpts {
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  priority?: number;
  namespaces?: string[];
  namespaceSelectors?: Record<string, string>[];
  serviceSelectors?: Record<string, string>[];
}

export function pool(name: string, addresses: string[], o: PoolOpts = {}): string {
  const spec: Record<string, unknown> = { addresses };
  if (o.autoAssign !== undefined) spec['autoAssign'] = o.autoAssign;
  if (o.avoidBuggyIPs !== undefined) spec['avoidBuggyIPs'] = o.avoidBuggyIPs;
  if (o.priority !== undefined || o.namespaces || o.namespaceSelectors || o.serviceSelectors) {
    spec['serviceAllocation'] = {
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      ...(o.namespaceSelectors ? { namespaceSelectors: o.namespaceSelectors.map((m) => ({ matchLabels: m })) } : {}),
      ...(o.serviceSelectors ? { serviceSelectors: o.serviceSelectors.map((m) => ({ matchLabels: m })) } : {}),
    };
  }
  return JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec });
}

interface SvcOpts {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  loadBalancerIP?: string;
  ports?: number[];
  type?: string;
  etp?: 'Local' | 'Cluster';
  selector?: Record<string, string>;
  lbClass?: string;
  /** `spec.ipFamilyPolicy` (the API server's default: SingleStack). */
  familyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** `spec.ipFamilies` (the API server's default: the plane's first family, IPv4, then IPv6 when dual-stack). */
  families?: ('IPv4' | 'IPv6')[];
}

export function svc(ns: string, name: string, o: SvcOpts = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...(o.annotations ? { annotations: o.annotations } : {}), ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      type: o.type ?? 'LoadBalancer',
      ports: (o.ports ?? [80]).map((p) => ({ name: `p${p}`, port: p, protocol: 'TCP' })),
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
      ...(o.etp ? { externalTrafficPolicy: o.etp } : {}),
      ...(o.selector ? { selector: o.selector } : {}),
      ...(o.lbClass ? { loadBalancerClass: o.lbClass } : {}),
      ...(o.familyPolicy ? { ipFamilyPolicy: o.familyPolicy } : {}),
      ...(o.families ? { ipFamilies: o.families } : {}),
    },
  });
}

const IPS = 'metallb.io/loadBalancerIPs';
const POOL = 'metallb.io/address-pool';
const SHARE = 'metallb.io/allow-shared-ip';
const a = (note: string, ...objs: string[]): Step => ({ note, apply: objs.join('\n---\n') });

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'ranges and CIDRs, exhaustion, type changes, other classes',
    ns: 'c01',
    steps: [
      a('pool of a range and a CIDR', pool('p1', ['198.51.100.10-198.51.100.11', '198.51.100.20/31'])),
      a('svc a', svc('c01', 'a')),
      a('svc b', svc('c01', 'b')),
      a('svc c', svc('c01', 'c')),
      a('svc d', svc('c01', 'd')),
      a('svc e: pool exhausted', svc('c01', 'e')),
      { note: 'delete a (frees an IP)', kubectl: ['delete', 'service', '-n', 'c01', 'a'] },
      a('svc f after the free', svc('c01', 'f')),
      a('b becomes ClusterIP', svc('c01', 'b', { type: 'ClusterIP' })),
      a('svc g of another loadBalancerClass', svc('c01', 'g', { lbClass: 'example.com/other' })),
    ],
  },
  {
    name: 'avoidBuggyIPs and IPv6 pools for IPv4 Services',
    ns: 'c02',
    steps: [
      a('pool avoiding .0/.255, and an IPv6-only pool', pool('buggy', ['198.51.100.255/32', '203.0.113.0/31'], { avoidBuggyIPs: true }), pool('six', ['2001:db8:1::/126'], { autoAssign: false })),
      a('svc a', svc('c02', 'a')),
      a('svc b: nothing left that is not buggy', svc('c02', 'b')),
      a('svc c asks the IPv6 pool', svc('c02', 'c', { annotations: { [POOL]: 'six' } })),
      a('svc d asks for an IPv6 address', svc('c02', 'd', { annotations: { [IPS]: '2001:db8:1::1' } })),
      a('svc e asks for the buggy .255', svc('c02', 'e', { annotations: { [IPS]: '198.51.100.255' } })),
    ],
  },
  {
    name: 'autoAssign off, pool annotation, requested IPs',
    ns: 'c03',
    steps: [
      a('manual pool and auto pool', pool('manual', ['198.51.100.30/31'], { autoAssign: false }), pool('auto', ['198.51.100.40/29'])),
      a('svc a: no annotation', svc('c03', 'a')),
      a('svc b: address-pool manual', svc('c03', 'b', { annotations: { [POOL]: 'manual' } })),
      a('svc c: requests .31 (manual pool)', svc('c03', 'c', { annotations: { [IPS]: '198.51.100.31' } })),
      a('svc d: requests .45', svc('c03', 'd', { annotations: { [IPS]: '198.51.100.45' } })),
      a('svc e: spec.loadBalancerIP .46', svc('c03', 'e', { loadBalancerIP: '198.51.100.46' })),
      a('svc f: requests .45 again, no sharing', svc('c03', 'f', { annotations: { [IPS]: '198.51.100.45' } })),
      a('svc g: requests an IP in no pool', svc('c03', 'g', { annotations: { [IPS]: '203.0.113.99' } })),
      a('svc h: legacy annotation', svc('c03', 'h', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '198.51.100.44' } })),
      a('svc i: two IPv4 addresses on a single-stack Service', svc('c03', 'i', { annotations: { [IPS]: '198.51.100.41,198.51.100.42' } })),
      a('svc j: pool that does not exist', svc('c03', 'j', { annotations: { [POOL]: 'nope' } })),
      a('svc k: pool auto, IP of pool manual', svc('c03', 'k', { annotations: { [POOL]: 'auto', [IPS]: '198.51.100.30' } })),
      a('svc d moves to .47', svc('c03', 'd', { annotations: { [IPS]: '198.51.100.47' } })),
      a('svc l: malformed IP', svc('c03', 'l', { annotations: { [IPS]: '198.51.100.300' } })),
    ],
  },
  {
    name: 'shared IPs and ETP Local',
    ns: 'c04',
    steps: [
      a('pool', pool('share', ['198.51.100.60/31'])),
      a('svc a: key k1, .60, port 80', svc('c04', 'a', { annotations: { [SHARE]: 'k1', [IPS]: '198.51.100.60' } })),
      a('svc b: key k1, .60, port 81', svc('c04', 'b', { ports: [81], annotations: { [SHARE]: 'k1', [IPS]: '198.51.100.60' } })),
      a('svc c: key k1, .60, port 80 again', svc('c04', 'c', { annotations: { [SHARE]: 'k1', [IPS]: '198.51.100.60' } })),
      a('svc d: key k2, .60', svc('c04', 'd', { ports: [90], annotations: { [SHARE]: 'k2', [IPS]: '198.51.100.60' } })),
      a('svc e: key k1, no IP asked, port 82', svc('c04', 'e', { ports: [82], annotations: { [SHARE]: 'k1' } })),
      a('svc f: key k1, .60, port 83, ETP Local with its own selector', svc('c04', 'f', { ports: [83], etp: 'Local', selector: { app: 'f' }, annotations: { [SHARE]: 'k1', [IPS]: '198.51.100.60' } })),
      a('svc g: ETP Local, key k3, .61, selector x', svc('c04', 'g', { ports: [84], etp: 'Local', selector: { app: 'x' }, annotations: { [SHARE]: 'k3', [IPS]: '198.51.100.61' } })),
      a('svc h: ETP Local, key k3, .61, selector x', svc('c04', 'h', { ports: [85], etp: 'Local', selector: { app: 'x' }, annotations: { [SHARE]: 'k3', [IPS]: '198.51.100.61' } })),
      { note: 'delete a', kubectl: ['delete', 'service', '-n', 'c04', 'a'] },
    ],
  },
  {
    name: 'priority, namespace and service selectors',
    ns: 'c05',
    nsLabels: { team: 'blue' },
    steps: [
      a(
        'pools: lo (no selectors), hi (app=web, priority 10), blue (namespace label, priority 5), other (namespaces [elsewhere])',
        pool('lo', ['198.51.100.70/31']),
        pool('hi', ['198.51.100.72/31'], { priority: 10, serviceSelectors: [{ app: 'web' }] }),
        pool('blue', ['198.51.100.74/32'], { priority: 5, namespaceSelectors: [{ team: 'blue' }] }),
        pool('other', ['198.51.100.76/31'], { namespaces: ['elsewhere'] }),
      ),
      a('svc a: app=web', svc('c05', 'a', { labels: { app: 'web' } })),
      a('svc b: no label', svc('c05', 'b')),
      a('svc c: app=web', svc('c05', 'c', { labels: { app: 'web' } })),
      a('svc d: app=web', svc('c05', 'd', { labels: { app: 'web' } })),
      a('svc e: no label', svc('c05', 'e')),
      a('svc f: no label', svc('c05', 'f')),
      a('svc g: no label', svc('c05', 'g')),
      a('svc h: asks pool other', svc('c05', 'h', { annotations: { [POOL]: 'other' } })),
    ],
  },
  {
    name: 'pool edits and deletions',
    ns: 'c06',
    steps: [
      a('pool e', pool('e', ['198.51.100.80/30'])),
      a('svc a', svc('c06', 'a')),
      a('svc b', svc('c06', 'b')),
      a('shrink e so that a falls out', pool('e', ['198.51.100.81-198.51.100.83'])),
      { note: 'delete pool e', kubectl: ['delete', 'ipaddresspool', '-n', NS, 'e'] },
      // One waiter at a time: with two, which one the new pool serves first is the informer's
      // order in both implementations (MetalLB's reprocess-all walks its cache), not a behaviour.
      { note: 'delete b', kubectl: ['delete', 'service', '-n', 'c06', 'b'] },
      a('new pool e2', pool('e2', ['198.51.100.84/31'])),
      a('svc b again', svc('c06', 'b')),
      a('grow e2', pool('e2', ['198.51.100.84/30'])),
    ],
  },
  {
    name: 'invalid configurations',
    ns: 'c07',
    steps: [
      a('valid pool v', pool('v', ['198.51.100.90/31'])),
      a('svc a', svc('c07', 'a')),
      a('invalid pool: not an address', pool('bad', ['not-an-ip'])),
      a('svc b while invalid', svc('c07', 'b')),
      { note: 'remove the invalid pool', kubectl: ['delete', 'ipaddresspool', '-n', NS, 'bad'] },
      a('overlapping pool', pool('over', ['198.51.100.91/32'])),
      { note: 'remove the overlap', kubectl: ['delete', 'ipaddresspool', '-n', NS, 'over'] },
      a('reversed range', pool('rev', ['198.51.100.99-198.51.100.95'])),
      { note: 'remove the reversed range', kubectl: ['delete', 'ipaddresspool', '-n', NS, 'rev'] },
      a('svc c after the fix', svc('c07', 'c')),
    ],
  },
  {
    name: 'controller restarts',
    ns: 'c08',
    steps: [
      a('pool', pool('r', ['198.51.100.100/30'])),
      a('svc a', svc('c08', 'a')),
      a('svc b', svc('c08', 'b', { annotations: { [IPS]: '198.51.100.103' } })),
      a('svc c', svc('c08', 'c')),
      { note: 'restart both controllers', restart: true },
      a('svc d after the restart', svc('c08', 'd')),
      a('svc e: exhausted', svc('c08', 'e')),
      { note: 'restart again', restart: true },
    ],
  },
  {
    // The planes are dual-stack (harness SERVICE_CIDR). One selector-less auto-assign pool only
    // (dual): with several, MetalLB picks in Go map order (quirk 13). four and six serve only the
    // Services labelled for them. One waiting Service at a time (see c06).
    name: 'dual-stack: families and family policies, one family exhausted, requested pairs, IPv6 removed from a pool',
    ns: 'c09',
    steps: [
      a(
        'pools: four (IPv4, fam=four), six (IPv6, fam=six), dual (an IPv4 /29 and 5 IPv6 addresses, no selector)',
        pool('four', ['198.51.100.110/31'], { serviceSelectors: [{ fam: 'four' }] }),
        pool('six', ['2001:db8:9::/127'], { serviceSelectors: [{ fam: 'six' }] }),
        pool('dual', ['198.51.100.120/29', '2001:db8:9::10-2001:db8:9::14']),
      ),
      a('svc a: SingleStack IPv4, fam=four', svc('c09', 'a', { labels: { fam: 'four' }, familyPolicy: 'SingleStack', families: ['IPv4'] })),
      a('svc b: SingleStack IPv6, fam=six', svc('c09', 'b', { labels: { fam: 'six' }, familyPolicy: 'SingleStack', families: ['IPv6'] })),
      a('svc c: PreferDualStack', svc('c09', 'c', { familyPolicy: 'PreferDualStack' })),
      a('svc d: RequireDualStack, IPv6 first', svc('c09', 'd', { familyPolicy: 'RequireDualStack', families: ['IPv6', 'IPv4'] })),
      a('svc e: RequireDualStack, requests an IPv4 and an IPv6 address', svc('c09', 'e', { familyPolicy: 'RequireDualStack', annotations: { [IPS]: '198.51.100.127,2001:db8:9::14' } })),
      a('svc f: RequireDualStack, requests an IPv6 and an IPv4 address (that order)', svc('c09', 'f', { familyPolicy: 'RequireDualStack', annotations: { [IPS]: '2001:db8:9::13,198.51.100.126' } })),
      a('svc g: SingleStack IPv6 (the last IPv6 of dual)', svc('c09', 'g', { familyPolicy: 'SingleStack', families: ['IPv6'] })),
      a('svc h: RequireDualStack, IPv4 left but no IPv6', svc('c09', 'h', { familyPolicy: 'RequireDualStack' })),
      { note: 'delete g (frees an IPv6 address)', kubectl: ['delete', 'service', '-n', 'c09', 'g'] },
      a('svc i: PreferDualStack, IPv4 left but no IPv6', svc('c09', 'i', { familyPolicy: 'PreferDualStack' })),
      a('svc j: PreferDualStack, fam=four (a pool of one family)', svc('c09', 'j', { labels: { fam: 'four' }, familyPolicy: 'PreferDualStack' })),
      a('remove the IPv6 range from dual', pool('dual', ['198.51.100.120/29'])),
    ],
  },
];
