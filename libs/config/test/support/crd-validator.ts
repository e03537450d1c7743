/**
 * Offline validation of custom objects against our CRDs, for tests: the OpenAPI schema with ajv
 * (`strict: false`), unknown fields (as `kubectl apply --validate=strict` reports them), and the
 * `x-kubernetes-validations` CEL rules with `@marcbachmann/cel-js` plus the Kubernetes CEL
 * functions listed in deploy/README.md. Messages are worded like kube-apiserver's.
 */
import { Environment } from '@marcbachmann/cel-js';
import { IPAddress, Cidr } from '@metallb-ts/netaddr';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Schema } from '../../src/crd/schema-builders.js';

/** A Kubernetes-style `ip` value for CEL. */
class CelIP {
  constructor(readonly addr: IPAddress) {}
}

/** A Kubernetes-style `net.CIDR` value for CEL. */
class CelCIDR {
  constructor(readonly cidr: Cidr) {}
}

/** Kubernetes' `isIP`/`ip()` refuse IPv4-mapped IPv6 addresses and zones; netaddr refuses zones. */
function parseIp(s: string): IPAddress | undefined {
  const a = IPAddress.tryParse(s);
  if (!a || a.isIPv4Mapped()) return undefined;
  return a;
}

function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0 || !parseIp(s.slice(0, slash))) return undefined;
  return Cidr.tryParse(s);
}

/** The CEL environment with the Kubernetes library functions our CRDs use. */
export function kubernetesCelEnvironment(): Environment {
  return new Environment({ unlistedVariablesAreDyn: true })
    .registerType('net.IP', CelIP)
    .registerType('net.CIDR', CelCIDR)
    .registerFunction('isIP(string): bool', (s: string) => parseIp(s) !== undefined)
    .registerFunction('isCIDR(string): bool', (s: string) => parseCidr(s) !== undefined)
    .registerFunction('ip(string): net.IP', (s: string) => {
      const a = parseIp(s);
      if (!a) throw new Error(`IP Address "${s}" parse error`);
      return new CelIP(a);
    })
    .registerFunction('cidr(string): net.CIDR', (s: string) => {
      const c = parseCidr(s);
      if (!c) throw new Error(`network address "${s}" parse error`);
      return new CelCIDR(c);
    })
    .registerFunction({
      name: 'family',
      receiverType: 'net.IP',
      returnType: 'int',
      params: [],
      handler: (ip: CelIP) => (ip.addr.isV4 ? 4n : 6n),
    });
}

/** One validation failure, with a kube-apiserver-like message. */
export interface FieldError {
  path: string;
  message: string;
}

/** A CRD version's compiled validator. */
export interface VersionValidator {
  (obj: unknown, old?: unknown): FieldError[];
}

function jsonPointerToPath(ptr: string): string {
  let out = '';
  for (const raw of ptr.split('/').slice(1)) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^[0-9]+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? `"${typeName(v)}"` : String(v);
}

function get(obj: unknown, ptr: string): unknown {
  let cur: any = obj;
  for (const raw of ptr.split('/').slice(1)) cur = cur?.[raw.replaceAll('~1', '/').replaceAll('~0', '~')];
  return cur;
}

function ajvToK8s(e: ErrorObject, obj: unknown): FieldError | undefined {
  const path = jsonPointerToPath(e.instancePath);
  const v = get(obj, e.instancePath);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required': {
      const full = path === '' ? p.missingProperty : `${path}.${p.missingProperty}`;
      return { path: full, message: `${full}: Required value` };
    }
    case 'type':
      return { path, message: `${path}: Invalid value: "${typeName(v)}": ${path} in body must be of type ${p.type}: ${show(v)}` };
    case 'enum':
      return { path, message: `${path}: Unsupported value: ${show(v)}: supported values: ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}` };
    case 'minimum':
      return { path, message: `${path}: Invalid value: ${show(v)}: ${path} in body should be greater than or equal to ${p.limit}` };
    case 'maximum':
      return { path, message: `${path}: Invalid value: ${show(v)}: ${path} in body should be less than or equal to ${p.limit}` };
    case 'minItems':
      return { path, message: `${path}: Invalid value: ${(v as unknown[]).length}: ${path} in body should have at least ${p.limit} items` };
    case 'maxItems':
      return { path, message: `${path}: Too many: ${(v as unknown[]).length}: must have at most ${p.limit} items` };
    case 'minLength':
      return { path, message: `${path}: Invalid value: ${show(v)}: ${path} in body should be at least ${p.limit} chars long` };
    case 'maxLength':
      return { path, message: `${path}: Too long: may not be more than ${p.limit} bytes` };
    case 'maxProperties':
      return { path, message: `${path}: Too many: ${Object.keys(v as object).length}: must have at most ${p.limit} items` };
    case 'pattern':
      return { path, message: `${path}: Invalid value: ${show(v)}: ${path} in body should match '${p.pattern}'` };
    case 'format':
      return { path, message: `${path}: Invalid value: ${show(v)}: ${path} in body must be of type ${p.format}` };
    default:
      return { path, message: `${path}: Invalid value: ${e.message ?? e.keyword}` };
  }
}

/** Converts JSON numbers that the schema declares as integers to bigint, as CEL's `int`. */
function toCel(v: unknown, s: Schema | undefined): unknown {
  if (s?.type === 'integer' && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map((x) => toCel(x, s?.items));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x, s?.properties?.[k] ?? s?.additionalProperties);
    return out;
  }
  return v;
}

function hasOldSelf(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

function walk(
  env: Environment,
  s: Schema,
  v: unknown,
  old: unknown,
  path: string,
  errors: FieldError[],
  strictFields: boolean,
): void {
  if (v === undefined || v === null) return;
  if (strictFields && s.properties && !s.additionalProperties && typeName(v) === 'object' && path !== 'metadata') {
    for (const k of Object.keys(v as object)) {
      if (!(k in s.properties)) {
        const p = path === '' ? k : `${path}.${k}`;
        errors.push({ path: p, message: `unknown field "${p}"` });
      }
    }
  }
  // Only evaluate rules on values of the right shape (kube-apiserver skips CEL where the
  // schema already failed for that value's type).
  const shapeOk =
    s.type === undefined ||
    (s.type === 'integer' ? typeName(v) === 'integer' : s.type === 'number' ? typeof v === 'number' : typeName(v) === s.type);
  for (const r of s['x-kubernetes-validations'] ?? []) {
    if (!shapeOk) break;
    if (hasOldSelf(r.rule) && old === undefined) continue;
    const at = path === '' ? '<nil>' : path;
    let ok: unknown;
    try {
      ok = env.evaluate(r.rule, { self: toCel(v, s), oldSelf: toCel(old, s) });
    } catch (err) {
      errors.push({ path: at, message: `${at}: Invalid value: "${typeName(v)}": rule evaluation error: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (ok !== true) errors.push({ path: at, message: `${at}: Invalid value: "${typeName(v)}": ${r.message}` });
  }
  if (!shapeOk) return;
  if (s.properties && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, child] of Object.entries(s.properties)) {
      const o = old !== null && typeof old === 'object' ? (old as any)[k] : undefined;
      walk(env, child, (v as any)[k], o, path === '' ? k : `${path}.${k}`, errors, strictFields);
    }
  }
  if (s.items && Array.isArray(v)) {
    // Transition rules inside lists only see oldSelf for atomic lists by index in Kubernetes when
    // the list is a map or set; our lists are atomic, so items get no oldSelf.
    v.forEach((x, i) => walk(env, s.items!, x, undefined, `${path}[${i}]`, errors, strictFields));
  }
}

/** Builds a validator for one CRD version's `openAPIV3Schema`. */
export function compileVersion(schema: Schema, opts: { strictFields?: boolean } = {}): VersionValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate: ValidateFunction = ajv.compile(schema);
  const env = kubernetesCelEnvironment();
  const strictFields = opts.strictFields ?? true;
  return (obj, old) => {
    const errors: FieldError[] = [];
    if (!validate(obj)) {
      for (const e of validate.errors ?? []) {
        const fe = ajvToK8s(e, obj);
        if (fe) errors.push(fe);
      }
    }
    walk(env, schema, obj, old, '', errors, strictFields);
    return errors;
  };
}
