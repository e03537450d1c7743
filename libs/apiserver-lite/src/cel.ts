/**
 * CEL for `x-kubernetes-validations`: an environment with the Kubernetes CEL libraries our
 * CRDs can use (lists, regex, strings, URLs, IP and CIDR, quantity-free), on top of the
 * `@marcbachmann/cel-js` evaluator, and conversion of JSON values to CEL values by schema.
 *
 * Function names and semantics follow the Kubernetes documentation "CEL in Kubernetes"
 * (k8s.io/apiserver/pkg/cel/library): `isSorted`, `sum`, `min`, `max`, `indexOf`,
 * `lastIndexOf`, `find`, `findAll`, `url`/`isURL`, `ip`/`isIP`, `cidr`/`isCIDR`,
 * and the cel-go `strings` extension (`charAt`, `replace`, `reverse`). Not provided: the
 * namespaced functions `ip.isCanonical` and `strings.quote` (the evaluator has no namespaces),
 * `quantity`, `semver` and `format`.
 */
import { Environment } from '@marcbachmann/cel-js';
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import type { Schema } from './schema.js';

/** The `net.IP` CEL type. */
export class CelIP {
  constructor(readonly addr: IPAddress) {}
  toString(): string {
    return this.addr.toString();
  }
}

/** The `net.CIDR` CEL type; keeps the address as written (`cidr('10.0.0.1/24').ip()` is `10.0.0.1`). */
export class CelCidr {
  constructor(
    readonly addr: IPAddress,
    readonly prefix: number,
  ) {}
  get network(): Cidr {
    return Cidr.of(this.addr, this.prefix);
  }
  toString(): string {
    return `${this.addr.toString()}/${this.prefix}`;
  }
}

/** The `net.URL` CEL type. */
export class CelURL {
  constructor(readonly url: URL) {}
}

/** Kubernetes' IP library refuses IPv4-mapped IPv6, zones and leading zeros. */
function strictIP(s: string): IPAddress | undefined {
  const a = IPAddress.tryParse(s);
  return a && !a.isIPv4Mapped() ? a : undefined;
}

function parseIP(s: string): IPAddress {
  const a = strictIP(s);
  if (!a) throw new Error(`IP Address "${s}" parse error during conversion from string`);
  return a;
}

function parseCidrText(s: string): CelCidr {
  const m = s.match(/^(.+)\/(\d{1,3})$/);
  const a = m ? strictIP(m[1]!) : undefined;
  const p = m ? Number(m[2]) : NaN;
  if (!a || !(p >= 0 && p <= a.bits)) throw new Error(`network address parse error during conversion from string: invalid CIDR "${s}"`);
  return new CelCidr(a, p);
}

function isLinkLocalUnicast(a: IPAddress): boolean {
  return a.isV4 ? Cidr.parse('169.254.0.0/16').contains(a) : Cidr.parse('fe80::/10').contains(a);
}

const cmp = (a: any, b: any) => (a < b ? -1 : a > b ? 1 : 0);

function isURLText(s: string): boolean {
  // Go's url.ParseRequestURI: absolute URI or an absolute path.
  if (s.startsWith('/')) return true;
  try {
    new URL(s);
    return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s);
  } catch {
    return false;
  }
}

/** Builds the CEL environment used for every rule. Cached: environments are immutable once used. */
function buildEnvironment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false, enableOptionalTypes: true });
  env
    .registerType('net.IP', { ctor: CelIP })
    .registerType('net.CIDR', { ctor: CelCidr })
    .registerType('net.URL', { ctor: CelURL });
  // Lists library.
  for (const t of ['int', 'uint', 'double', 'string', 'bool', 'dyn']) {
    env.registerFunction(`list<${t}>.isSorted(): bool`, (l: any[]) => l.every((x, i) => i === 0 || cmp(l[i - 1], x) <= 0));
    env.registerFunction(`list<${t}>.indexOf(${t}): int`, (l: any[], x: any) => BigInt(l.findIndex((y) => y === x)));
    env.registerFunction(`list<${t}>.lastIndexOf(${t}): int`, (l: any[], x: any) => {
      for (let i = l.length - 1; i >= 0; i--) if (l[i] === x) return BigInt(i);
      return -1n;
    });
  }
  for (const t of ['int', 'uint', 'double']) {
    const zero = t === 'double' ? 0 : 0n;
    env.registerFunction(`list<${t}>.sum(): ${t}`, (l: any[]) => l.reduce((a, b) => a + b, zero));
  }
  for (const t of ['int', 'uint', 'double', 'string', 'dyn']) {
    env.registerFunction(`list<${t}>.min(): ${t}`, (l: any[]) => {
      if (l.length === 0) throw new Error('min called on empty list');
      return l.reduce((a, b) => (cmp(b, a) < 0 ? b : a));
    });
    env.registerFunction(`list<${t}>.max(): ${t}`, (l: any[]) => {
      if (l.length === 0) throw new Error('max called on empty list');
      return l.reduce((a, b) => (cmp(b, a) > 0 ? b : a));
    });
  }
  // Regex library (RE2 syntax; JS regexps cover what CRDs use).
  env.registerFunction('string.find(string): string', (s: string, re: string) => s.match(new RegExp(re))?.[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, re: string) => [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]));
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) => {
    const all = [...s.matchAll(new RegExp(re, 'g'))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  });
  // cel-go strings extension functions missing from the base library.
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    if (i < 0n || i > BigInt(s.length)) throw new Error(`index out of range: ${i}`);
    return s.charAt(Number(i));
  });
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    if (n < 0n) return s.split(a).join(b);
    let out = s;
    let from = 0;
    for (let k = 0n; k < n; k++) {
      const i = out.indexOf(a, from);
      if (i < 0) break;
      out = out.slice(0, i) + b + out.slice(i + a.length);
      from = i + b.length;
    }
    return out;
  });
  env.registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''));
  // URL library.
  env.registerFunction('isURL(string): bool', (s: string) => isURLText(s));
  env.registerFunction('url(string): net.URL', (s: string) => {
    if (!isURLText(s)) throw new Error(`URL parse error during conversion from string: ${s}`);
    return new CelURL(new URL(s, 'http://relative.invalid'));
  });
  env.registerFunction('net.URL.getScheme(): string', (u: CelURL) => u.url.protocol.replace(/:$/, ''));
  env.registerFunction('net.URL.getHost(): string', (u: CelURL) => u.url.host);
  env.registerFunction('net.URL.getHostname(): string', (u: CelURL) => u.url.hostname.replace(/^\[|\]$/g, ''));
  env.registerFunction('net.URL.getPort(): string', (u: CelURL) => u.url.port);
  env.registerFunction('net.URL.getEscapedPath(): string', (u: CelURL) => u.url.pathname);
  // IP library.
  env.registerFunction('isIP(string): bool', (s: string) => strictIP(s) !== undefined);
  env.registerFunction('ip(string): net.IP', (s: string) => new CelIP(parseIP(s)));
  env.registerFunction('net.IP.family(): int', (ip: CelIP) => (ip.addr.isV4 ? 4n : 6n));
  env.registerFunction('net.IP.isUnspecified(): bool', (ip: CelIP) => ip.addr.value === 0n);
  env.registerFunction('net.IP.isLoopback(): bool', (ip: CelIP) => (ip.addr.isV4 ? Cidr.parse('127.0.0.0/8').contains(ip.addr) : ip.addr.value === 1n));
  env.registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: CelIP) => isLinkLocalUnicast(ip.addr));
  env.registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: CelIP) => (ip.addr.isV4 ? Cidr.parse('224.0.0.0/24').contains(ip.addr) : Cidr.parse('ff02::/16').contains(ip.addr)));
  env.registerFunction('net.IP.isGlobalUnicast(): bool', (ip: CelIP) => {
    const a = ip.addr;
    if (a.value === 0n) return false;
    if (a.isV4) return !['127.0.0.0/8', '224.0.0.0/4', '169.254.0.0/16', '255.255.255.255/32'].some((c) => Cidr.parse(c).contains(a));
    return !['::1/128', 'ff00::/8', 'fe80::/10'].some((c) => Cidr.parse(c).contains(a));
  });
  env.registerFunction('string(net.IP): string', (ip: CelIP) => ip.toString());
  env.registerOperator('net.IP == net.IP', (a: CelIP, b: CelIP) => a.addr.equals(b.addr));
  // CIDR library.
  env.registerFunction('isCIDR(string): bool', (s: string) => {
    try {
      parseCidrText(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction('cidr(string): net.CIDR', (s: string) => parseCidrText(s));
  env.registerFunction('net.CIDR.containsIP(string): bool', (c: CelCidr, s: string) => c.network.contains(parseIP(s)));
  env.registerFunction('net.CIDR.containsIP(net.IP): bool', (c: CelCidr, ip: CelIP) => c.network.contains(ip.addr));
  env.registerFunction('net.CIDR.containsCIDR(string): bool', (c: CelCidr, s: string) => c.network.contains(parseCidrText(s).network));
  env.registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: CelCidr, o: CelCidr) => c.network.contains(o.network));
  env.registerFunction('net.CIDR.ip(): net.IP', (c: CelCidr) => new CelIP(c.addr));
  env.registerFunction('net.CIDR.masked(): net.CIDR', (c: CelCidr) => new CelCidr(c.network.network, c.prefix));
  env.registerFunction('net.CIDR.prefixLength(): int', (c: CelCidr) => BigInt(c.prefix));
  env.registerFunction('string(net.CIDR): string', (c: CelCidr) => c.toString());
  env.registerOperator('net.CIDR == net.CIDR', (a: CelCidr, b: CelCidr) => a.toString() === b.toString());
  return env;
}

let shared: Environment | undefined;

/** The shared Kubernetes CEL environment. */
export function celEnvironment(): Environment {
  return (shared ??= buildEnvironment());
}

/** A compiled rule; compile errors are reported when the CRD is created, as the real server does. */
export interface CompiledRule {
  rule: string;
  /** Whether the rule references `oldSelf` (a transition rule). */
  transition: boolean;
  eval(vars: Record<string, unknown>): unknown;
}

const compiled = new Map<string, CompiledRule>();

/** Compiles a CEL expression (memoised). Throws the library's `ParseError` on bad syntax. */
export function compileRule(rule: string): CompiledRule {
  let c = compiled.get(rule);
  if (!c) {
    const fn = celEnvironment().parse(rule);
    c = { rule, transition: /\boldSelf\b/.test(rule), eval: (vars) => fn(vars) };
    compiled.set(rule, c);
  }
  return c;
}

/**
 * Converts a JSON value to its CEL value under `schema`: `integer` becomes `bigint`, numbers
 * become doubles, `x-kubernetes-int-or-string` integers become `bigint`.
 */
export function toCel(value: unknown, schema: Schema | undefined): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'number') {
    const wantsInt = schema?.type === 'integer' || (schema?.['x-kubernetes-int-or-string'] && Number.isInteger(value));
    return wantsInt && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const sub = schema?.properties?.[k] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      out[k] = toCel(v, sub);
    }
    return out;
  }
  return value;
}

/** Every `x-kubernetes-validations` rule of a schema with its path, for compile checks. */
export function collectRules(schema: Schema | undefined, path = ''): { path: string; rule: string; messageExpression?: string }[] {
  if (!schema) return [];
  const out: { path: string; rule: string; messageExpression?: string }[] = [];
  for (const r of schema['x-kubernetes-validations'] ?? []) out.push({ path, rule: r.rule, messageExpression: r.messageExpression });
  for (const [k, s] of Object.entries(schema.properties ?? {})) out.push(...collectRules(s, path ? `${path}.properties[${k}]` : `properties[${k}]`));
  if (schema.items) out.push(...collectRules(schema.items, `${path}.items`));
  if (typeof schema.additionalProperties === 'object') out.push(...collectRules(schema.additionalProperties, `${path}.additionalProperties`));
  return out;
}
