/**
 * The lab's data centre on paper: namespace names, addresses and MACs, derived from a prefix and
 * a node count. Pure, so `status`/`down` in another process find the same names, and the e2e
 * tests run their own lab beside a user's with another prefix.
 *
 * One L2 segment, 198.51.100.0/24 and 2001:db8::/64 (documentation ranges), is the bridge `br0`
 * in the control-plane namespace:
 *
 * | host | IPv4 | IPv6 |
 * | --- | --- | --- |
 * | control plane (`<prefix>-cp`, the API server) | 198.51.100.1 | 2001:db8::1 |
 * | router (`<prefix>-router`, FRR) | 198.51.100.2 | 2001:db8::2 |
 * | node i (`<prefix>-n<i>`) | 198.51.100.(10+i) | 2001:db8::(10+i) (the same digits) |
 * | client (`<prefix>-client`) | 198.51.100.50 | 2001:db8::50 |
 *
 * Pods of node i get addresses from 203.0.113.(16·i)/28 and 2001:db8:1:i::/64 (every node routes
 * the other nodes' pod ranges through their node address, the flat pod network of a CNI). Service
 * pools live in 198.51.100.101–150 (the seed guide's `first-pool`, moved) and 2001:db8::100:0/112.
 */

/** Default namespace prefix of the user's lab. */
export const DEFAULT_PREFIX = 'mtl';
/** Most nodes a lab may have (pod ranges are /28s of one /24). */
export const MAX_NODES = 8;
/** The L2 segment. */
export const SEGMENT = { v4: '198.51.100.0/24', v6: '2001:db8::/64', v4Len: 24, v6Len: 64 } as const;
/** The API server's address inside the lab and its port. */
export const API = { v4: '198.51.100.1', port: 6443 } as const;
/** The router's ASN and the nodes' ASN (the seed guide's BGPPeer: myASN 64500, peerASN 64501). */
export const ASN = { nodes: 64500, router: 64501 } as const;
/** The seed guide's first-pool range, moved into the lab's documentation range. */
export const FIRST_POOL = { guide: '10.0.0.101-10.0.0.150', lab: '198.51.100.101-198.51.100.150' } as const;
/** An IPv6 pool for dual-stack Services. */
export const V6_POOL = '2001:db8::100:0/112';

/** One host on the segment. */
export interface Host {
  /** Role name: `cp`, `router`, `client`, `n1`… */
  readonly role: string;
  /** Network namespace name. */
  readonly ns: string;
  readonly v4: string;
  readonly v6: string;
  /** eth0's MAC (locally administered, fixed so neighbour tables read well). */
  readonly mac: string;
  /** The bridge port (veth peer) of eth0 in the control-plane namespace. */
  readonly port: string;
}

/** A node: a host with its pod ranges. */
export interface NodeHost extends Host {
  /** Kubernetes Node name (`n1`…). */
  readonly name: string;
  readonly index: number;
  /** 203.0.113.(16·i)/28 */
  readonly podV4Cidr: string;
  /** 2001:db8:1:i::/64 */
  readonly podV6Cidr: string;
}

/** The whole topology. */
export interface Topology {
  readonly prefix: string;
  readonly cp: Host;
  readonly router: Host;
  readonly client: Host;
  readonly nodes: readonly NodeHost[];
}

/** Why a prefix or node count was refused. */
export class TopologyError extends Error {
  override name = 'TopologyError';
}

const PREFIX_RE = /^[a-z][a-z0-9]{0,6}$/;

/** Checks a prefix: 1–7 lower-case letters/digits starting with a letter (names stay under IFNAMSIZ and apart from the tests' `tl…`). */
export function checkPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new TopologyError(`invalid --prefix "${prefix}": use 1-7 lower-case letters or digits, starting with a letter`);
  if (prefix.startsWith('tl')) throw new TopologyError(`invalid --prefix "${prefix}": "tl…" names belong to the test lab (@metallb-ts/test-lab)`);
  return prefix;
}

function mac(last: number): string {
  return `02:6d:74:00:00:${last.toString(16).padStart(2, '0')}`;
}

/** The topology of a lab with `nodes` nodes and namespace prefix `prefix`. */
export function topology(prefix: string, nodes: number): Topology {
  checkPrefix(prefix);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new TopologyError(`invalid --nodes ${nodes}: use 1 to ${MAX_NODES}`);
  const host = (role: string, last: number): Host => ({ role, ns: `${prefix}-${role}`, v4: `198.51.100.${last}`, v6: `2001:db8::${last}`, mac: mac(last), port: `p-${role}` });
  const ns: NodeHost[] = [];
  for (let i = 1; i <= nodes; i++) {
    const name = `n${i}`;
    ns.push({ ...host(name, 10 + i), name, index: i, podV4Cidr: `203.0.113.${16 * i}/28`, podV6Cidr: `2001:db8:1:${i}::/64` });
  }
  return { prefix, cp: host('cp', 1), router: host('router', 2), client: host('client', 50), nodes: ns };
}

/**
 * The k-th pod address (k ≥ 1) of a node: 203.0.113.(16·i + k) and 2001:db8:1:i::k.
 * At most 14 pods per node (a /28 without network, broadcast-like last, and nothing else).
 */
export function podAddress(node: NodeHost, k: number): { v4: string; v6: string } {
  if (!Number.isInteger(k) || k < 1 || k > 14) throw new TopologyError(`pod slot ${k} out of range 1-14 on ${node.name}`);
  return { v4: `203.0.113.${16 * node.index + k}`, v6: `2001:db8:1:${node.index}::${k.toString(16)}` };
}
