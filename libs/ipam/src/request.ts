/**
 * Request normalisation: a public {@link ServiceRequest} (untrusted, with defaults omitted)
 * becomes a validated internal {@link Req}, or a {@link Refusal} that says what to fix. Nothing
 * here throws for bad input.
 */
import { AddrParseError, IPAddress, type Family } from '@metallb-ts/netaddr';
import type { Conflict, FamilyPolicy, Port, RefusalReason, ServiceRequest } from './types.js';

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PORTS: readonly Port[] = Object.freeze([]);
const POLICIES: readonly FamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

/** A validated request: every default applied, requested IPs parsed and normalised. */
export interface Req {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly families: readonly Family[];
  readonly policy: FamilyPolicy;
  readonly ports: readonly Port[];
  readonly sharingKey: string;
  readonly backendKey: string;
  readonly requested: readonly IPAddress[] | undefined;
  readonly pool: string | undefined;
}

/** An internal refusal: the reason, the sentence, and the other party of a sharing refusal. */
export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
  readonly conflict?: Conflict;
}

/** Normalises an address: IPv4-mapped IPv6 counts as IPv4 (Go `To4()` semantics). */
export function normalizeIp(ip: IPAddress): IPAddress {
  return ip.isIPv4Mapped() ? IPAddress.fromBigInt('IPv4', ip.value & 0xffffffffn) : ip;
}

function invalid(message: string): Refusal {
  return { reason: 'invalid-request', message };
}

/** Validates and normalises a request; a {@link Refusal} for bad input (never throws). */
export function normalizeRequest(r: ServiceRequest): Req | Refusal {
  if (r === null || typeof r !== 'object') return invalid('the request must be an object');
  if (typeof r.key !== 'string' || r.key.length === 0) return invalid('the request needs a non-empty service key ("namespace/name")');
  if (typeof r.namespace !== 'string') return invalid(`${r.key}: namespace must be a string`);
  const labels = r.labels ?? EMPTY_LABELS;
  if (typeof labels !== 'object' || labels === null) return invalid(`${r.key}: labels must be an object of strings`);
  const families = r.families;
  if (!Array.isArray(families) || families.length < 1 || families.length > 2 || families.some((f) => f !== 'IPv4' && f !== 'IPv6')) {
    return invalid(`${r.key}: families must be one or two of "IPv4", "IPv6" (from spec.clusterIPs)`);
  }
  if (families.length === 2 && families[0] === families[1]) return invalid(`${r.key}: the two families must differ`);
  const policy = r.policy ?? 'SingleStack';
  if (!POLICIES.includes(policy)) return invalid(`${r.key}: unknown ipFamilyPolicy "${String(policy)}"`);
  if (policy === 'RequireDualStack' && families.length !== 2) {
    return invalid(`${r.key}: RequireDualStack needs two clusterIPs of different families`);
  }
  const ports = r.ports ?? NO_PORTS;
  if (!Array.isArray(ports)) return invalid(`${r.key}: ports must be an array of { protocol, port }`);
  for (const p of ports) {
    if (p === null || typeof p !== 'object' || typeof p.protocol !== 'string' || p.protocol.length === 0 || !Number.isInteger(p.port) || p.port < 0 || p.port > 65535) {
      return invalid(`${r.key}: every port needs a protocol and a port number 0–65535`);
    }
  }
  const sharingKey = r.sharingKey ?? '';
  const backendKey = r.backendKey ?? '';
  if (typeof sharingKey !== 'string' || typeof backendKey !== 'string') return invalid(`${r.key}: sharingKey and backendKey must be strings`);
  const pool = r.pool === undefined || r.pool === '' ? undefined : r.pool;
  if (pool !== undefined && typeof pool !== 'string') return invalid(`${r.key}: pool must be a string`);
  let requested: IPAddress[] | undefined;
  if (r.requestedIps !== undefined && r.requestedIps !== null) {
    if (!Array.isArray(r.requestedIps)) return invalid(`${r.key}: requestedIps must be an array`);
    if (r.requestedIps.length > 0) {
      requested = [];
      for (const x of r.requestedIps) {
        let a: IPAddress | AddrParseError;
        if (x instanceof IPAddress) a = x;
        else if (typeof x === 'string') a = IPAddress.parseResult(x.trim());
        else a = new AddrParseError(String(x), 'not a string');
        if (a instanceof AddrParseError) {
          return { reason: 'invalid-ip', message: `${r.key}: requested IP is invalid: ${a.message}` };
        }
        requested.push(normalizeIp(a));
      }
      if (requested.length > 2) {
        return { reason: 'too-many-ips', message: `${r.key} requests ${requested.length} IPs (${requested.join(', ')}); request at most two, one per family` };
      }
      if (requested.length === 2 && requested[0]!.family === requested[1]!.family) {
        return { reason: 'duplicate-family', message: `${r.key} requests two ${requested[0]!.family} addresses (${requested.join(', ')}); request at most one per family` };
      }
    }
  }
  return { key: r.key, namespace: r.namespace, labels, families, policy, ports, sharingKey, backendKey, requested, pool };
}

/** True when two address lists hold the same addresses, in any order (never mutates; quirk 12). */
export function sameAddresses(a: readonly (string | IPAddress)[], b: readonly (string | IPAddress)[]): boolean {
  const norm = (l: readonly (string | IPAddress)[]) =>
    l.map((x) => {
      const ip = typeof x === 'string' ? IPAddress.tryParse(x.trim()) : x;
      return ip === undefined ? `?${String(x)}` : normalizeIp(ip).toString();
    });
  const sa = norm(a);
  const sb = new Set(norm(b));
  return sa.length === sb.size && new Set(sa).size === sa.length && sa.every((x) => sb.has(x));
}
