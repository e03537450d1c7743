import { IPAddress } from '@metallb-ts/netaddr';
import { ElectionInputError } from './errors.js';

/**
 * The text Go's `net.IP.String()` prints for an address — the exact text MetalLB hashes.
 *
 * - IPv4: dotted decimal.
 * - IPv4-mapped IPv6 (`::ffff:a.b.c.d`): **dotted IPv4** (Go stores IPv4 in the mapped 16-byte
 *   form, so `To4()` succeeds and the address prints as IPv4). A status IP written as
 *   `::ffff:198.51.100.1` therefore hashes as `198.51.100.1`.
 * - Other IPv6: lower-case hex groups without leading zeros; the first longest run of two or more
 *   zero groups becomes `::` (RFC 5952); no dotted tail, even for `::a.b.c.d` or `64:ff9b::/96`.
 */
export function goIPString(ip: IPAddress): string {
  if (ip.isV4) return ip.toString();
  const v = ip.value;
  if (v >> 32n === 0xffffn) {
    const n = Number(v & 0xffffffffn);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let zs = -1;
  let ze = -1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i >= 2 && j - i > ze - zs) {
      zs = i;
      ze = j;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === zs) {
      out += '::';
      i = ze - 1;
      continue;
    }
    if (i > 0 && !out.endsWith(':')) out += ':';
    out += groups[i]!.toString(16);
  }
  return out;
}

/**
 * Parses a service IP given as text or as an {@link IPAddress}.
 * @throws {ElectionInputError} when the text is not a strict IPv4/IPv6 address.
 */
export function toIPAddress(ip: string | IPAddress, field = 'ip'): IPAddress {
  if (ip instanceof IPAddress) return ip;
  const r = IPAddress.parseResult(typeof ip === 'string' ? hexTail(ip) : ip);
  if (r instanceof IPAddress) return r;
  throw new ElectionInputError(field, `${r.message} (give a service IP such as 198.51.100.10 or 2001:db8::10)`);
}

/**
 * Rewrites an IPv6 text with a dotted IPv4 tail into pure hex groups (`::1.2.3.4` → `::102:304`),
 * so the value does not depend on how the IPv6 parser treats the tail (ipaddr.js reads
 * `::a.b.c.d` as `::ffff:a.b.c.d`; Go's `net.ParseIP` keeps it IPv4-compatible).
 * Anything it cannot rewrite is returned unchanged for the strict parser to judge.
 */
function hexTail(text: string): string {
  if (!text.includes(':') || !text.includes('.')) return text;
  const cut = text.lastIndexOf(':');
  const tail = IPAddress.tryParse(text.slice(cut + 1));
  if (!tail || !tail.isV4) return text;
  const v = Number(tail.value);
  return `${text.slice(0, cut + 1)}${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
}

/**
 * The string MetalLB hashes for a candidate: `<nodeName>#<firstIP>`, where `firstIP` is printed
 * like Go's `net.IP.String()` (see {@link goIPString}). Hashed as UTF-8 with SHA-256.
 */
export function electionKey(node: string, ip: string | IPAddress): string {
  return `${node}#${goIPString(toIPAddress(ip))}`;
}
