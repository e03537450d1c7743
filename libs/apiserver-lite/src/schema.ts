/**
 * Structural schemas (`openAPIV3Schema` of a CRD version): pruning of unknown fields,
 * defaulting, validation, and `x-kubernetes-validations` CEL rules, with field errors worded
 * like kube-apiserver's (`spec.addresses: Required value`, `spec.port: Invalid value: 70000:
 * spec.port in body should be less than or equal to 65535`).
 */
import { compileRule, toCel } from './cel.js';
import { renderValue, type StatusCause } from './errors.js';
import { clone, deepEqual } from './patch.js';

/** One `x-kubernetes-validations` rule. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** The subset of OpenAPI v3 the Kubernetes structural schema allows, plus its extensions. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Root-level fields a CR always keeps, whatever its schema says. */
const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata']);

/** Removes fields the schema does not specify (unless `x-kubernetes-preserve-unknown-fields`). Returns a new value. */
export function prune(value: unknown, schema: Schema | undefined, root = false): unknown {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties && !schema.items) return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => prune(v, schema.items)) : value;
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (root && ROOT_KEEP.has(k)) out[k] = v;
    else if (schema.properties?.[k]) out[k] = prune(v, schema.properties[k]);
    else if (isObj(schema.additionalProperties)) out[k] = prune(v, schema.additionalProperties);
    else if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields']) out[k] = v;
    else if (schema['x-kubernetes-embedded-resource'] && ROOT_KEEP.has(k)) out[k] = v;
  }
  return out;
}

/** Fills in `default`s for absent properties, recursively, as the real server does on write. Returns a new value. */
export function applyDefaults(value: unknown, schema: Schema | undefined): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => applyDefaults(v, schema.items)) : value;
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && sub.default !== undefined) out[k] = clone(sub.default);
    if (out[k] !== undefined) out[k] = applyDefaults(out[k], sub);
  }
  if (isObj(schema.additionalProperties)) {
    for (const k of Object.keys(out)) if (!schema.properties?.[k]) out[k] = applyDefaults(out[k], schema.additionalProperties);
  }
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function child(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

/** Options of {@link validate}. */
export interface ValidateOptions {
  /** The previous value on update, for transition rules (`oldSelf`). */
  old?: unknown;
  /** Whether to run `x-kubernetes-validations`. @default true */
  cel?: boolean;
  /**
   * Add {@link CEL_SKIPPED_CAUSE} when blocking errors kept the rules from running, as
   * kube-apiserver does. @default false (the API still words its errors without it; see the README)
   */
  reportSkippedRules?: boolean;
}

/**
 * Field errors that stop CEL: kube-apiserver skips every `x-kubernetes-validations` rule of an
 * object with one of these (`hasBlockingErr` of the CRD strategy) and says so in one more cause.
 */
const BLOCKING = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/** The cause kube-apiserver adds when blocking errors kept the CEL rules from running (`field.Invalid(nil, nil, …)`). */
export const CEL_SKIPPED_CAUSE: StatusCause = {
  reason: 'FieldValueInvalid',
  field: '<nil>',
  message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

/** Whether a schema (or one below it) has `x-kubernetes-validations`. */
function hasRules(s: Schema | undefined): boolean {
  if (!s) return false;
  if (s['x-kubernetes-validations']?.length) return true;
  return Object.values(s.properties ?? {}).some(hasRules) || hasRules(s.items) || (isObj(s.additionalProperties) && hasRules(s.additionalProperties));
}

/**
 * Validates `value` against `schema` and returns every failure as a {@link StatusCause}
 * (empty when valid). `path` is the field path of `value` (`''` for the object root).
 *
 * As in kube-apiserver, the structural schema is checked first; the CEL rules then run over the
 * whole value (parents before children) unless a blocking error (unsupported enum value, missing
 * required field, too long, too many, wrong type) was found, in which case no rule runs (and,
 * with `reportSkippedRules`, {@link CEL_SKIPPED_CAUSE} says so, when the schema has rules at all).
 */
export function validate(value: unknown, schema: Schema | undefined, path = '', opts: ValidateOptions = {}): StatusCause[] {
  const out: StatusCause[] = [];
  const hasOld = opts.old !== undefined;
  walk(value, schema, path, opts.old, hasOld, 'schema', out);
  if ((opts.cel ?? true) && hasRules(schema)) {
    if (out.some((c) => BLOCKING.has(c.reason))) {
      if (opts.reportSkippedRules) out.push({ ...CEL_SKIPPED_CAUSE });
    }
    else walk(value, schema, path, opts.old, hasOld, 'cel', out);
  }
  return out;
}

function bodyPath(path: string): string {
  return path === '' ? 'body' : `${path} in body`;
}

/** One pass over the value: `schema` checks the structural schema, `cel` runs the rules. */
type Pass = 'schema' | 'cel';

function walk(v: unknown, s: Schema | undefined, path: string, old: unknown, hasOld: boolean, pass: Pass, out: StatusCause[]): void {
  if (!s) return;
  if (v === null) {
    if (pass === 'schema' && !s.nullable && s.type) out.push({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "null": ${bodyPath(path)} must be of type ${s.type}: "null"` });
    return;
  }
  const t = typeOf(v);
  let typeOk = true;
  if (s['x-kubernetes-int-or-string']) typeOk = t === 'integer' || t === 'string';
  else if (s.type) {
    typeOk = s.type === t || (s.type === 'number' && t === 'integer') || (s.type === 'object' && t === 'object');
  }
  if (!typeOk) {
    if (pass === 'schema') out.push({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "${t === 'integer' ? 'integer' : t}": ${bodyPath(path)} must be of type ${s.type ?? 'integer,string'}: "${t}"` });
    return;
  }
  // The CEL validator runs a node's rules before those of its children.
  if (pass === 'cel') runRules(v, s, path, old, hasOld, out);
  if (pass === 'schema') checkNode(v, s, path, out);
  if (Array.isArray(v)) {
    const lt = s['x-kubernetes-list-type'];
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const idOf = (x: unknown) => (lt === 'map' && isObj(x) ? JSON.stringify(keys.map((k) => x[k])) : JSON.stringify(x));
    if (pass === 'schema' && (lt === 'set' || lt === 'map' || s.uniqueItems)) {
      const seen = new Set<string>();
      v.forEach((x, i) => {
        const id = idOf(x);
        if (seen.has(id)) out.push({ reason: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `Duplicate value: ${lt === 'map' && isObj(x) ? JSON.stringify(Object.fromEntries(keys.map((k) => [k, x[k]]))) : renderValue(x)}` });
        seen.add(id);
      });
    }
    // Old items correlate only through list-type map (by keys) or set (by value), as in Kubernetes.
    const oldById = new Map<string, unknown>();
    if (hasOld && Array.isArray(old) && (lt === 'map' || lt === 'set')) for (const x of old) oldById.set(idOf(x), x);
    v.forEach((x, i) => {
      const id = idOf(x);
      walk(x, s.items, `${path}[${i}]`, oldById.get(id), oldById.has(id), pass, out);
    });
  }
  if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      // An in-process object may hold `undefined`: absent, as it would be once serialised.
      if (x === undefined) continue;
      const sub = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      const o = isObj(old) && hasOld ? old[k] : undefined;
      walk(x, sub, child(path, k), o, o !== undefined, pass, out);
    }
  }
  if (pass !== 'schema') return;
  for (const sub of s.allOf ?? []) walk(v, { ...sub, type: sub.type ?? undefined }, path, old, hasOld, 'schema', out);
  if (s.anyOf && !s.anyOf.some((sub) => validate(v, sub, path, { cel: false }).length === 0))
    out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: ${bodyPath(path)} must validate at least one schema (anyOf)` });
  if (s.oneOf && s.oneOf.filter((sub) => validate(v, sub, path, { cel: false }).length === 0).length !== 1)
    out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: ${bodyPath(path)} must validate one and only one schema (oneOf)` });
  if (s.not && validate(v, s.not, path, { cel: false }).length === 0) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: ${bodyPath(path)} must not validate the schema (not)` });
}

/** The structural checks of one node (enum, bounds, lengths, pattern, format, item and property counts, required). */
function checkNode(v: unknown, s: Schema, path: string, out: StatusCause[]): void {
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) {
    out.push({ reason: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${renderValue(v)}: supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
      out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${v}: ${bodyPath(path)} should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}` });
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
      out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${v}: ${bodyPath(path)} should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}` });
    if (s.multipleOf && v % s.multipleOf !== 0) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${v}: ${bodyPath(path)} should be a multiple of ${s.multipleOf}` });
    if (s.format === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31)) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${v}: ${bodyPath(path)} must be of type int32` });
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.minLength !== undefined && len < s.minLength) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: ${bodyPath(path)} should be at least ${s.minLength} chars long` });
    if (s.maxLength !== undefined && len > s.maxLength) out.push({ reason: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${s.maxLength} bytes` });
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: ${bodyPath(path)} should match '${s.pattern}'` });
    const fmtErr = checkFormat(s.format, v);
    if (fmtErr) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: ${bodyPath(path)} must be of type ${fmtErr}` });
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${v.length}: ${bodyPath(path)} should have at least ${s.minItems} items` });
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
  }
  if (isObj(v)) {
    for (const r of s.required ?? []) if (v[r] === undefined) out.push({ reason: 'FieldValueRequired', field: child(path, r), message: 'Required value' });
    const n = Object.keys(v).length;
    if (s.minProperties !== undefined && n < s.minProperties) out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${n}: ${bodyPath(path)} should have at least ${s.minProperties} properties` });
    if (s.maxProperties !== undefined && n > s.maxProperties) out.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${n}: must have at most ${s.maxProperties} items` });
  }
}

function checkFormat(format: string | undefined, v: string): string | undefined {
  switch (format) {
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) ? undefined : 'date-time';
    case 'ipv4':
      return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(v) ? undefined : 'ipv4';
    case 'uuid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? undefined : 'uuid';
    default:
      return undefined;
  }
}

/** CEL failures render the schema type, not the value (`Invalid value: "string": …`), as Kubernetes does. */
function celTypeName(s: Schema, v: unknown): string {
  if (s.type) return s.type;
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' ? 'string' : 'integer';
  return typeOf(v);
}

function runRules(v: unknown, s: Schema, path: string, old: unknown, hasOld: boolean, out: StatusCause[]): void {
  for (const r of s['x-kubernetes-validations'] ?? []) {
    let rule;
    try {
      rule = compileRule(r.rule);
    } catch (e) {
      out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${renderValue(v)}: compilation failed: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    if (rule.transition && !hasOld && !r.optionalOldSelf) continue;
    const vars: Record<string, unknown> = { self: toCel(v, s) };
    if (rule.transition) vars.oldSelf = hasOld ? toCel(old, s) : r.optionalOldSelf ? undefined : null;
    let ok: unknown;
    try {
      ok = rule.eval(vars);
    } catch (e) {
      // An evaluation error (e.g. "no such key") fails the rule, as in the real server.
      out.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${JSON.stringify(celTypeName(s, v))}: ${(e as Error).message.split('\n')[0]} evaluating rule: ${r.rule}` });
      continue;
    }
    if (ok === true) continue;
    let msg = r.message ?? `failed rule: ${r.rule}`;
    if (r.messageExpression) {
      try {
        const m = compileRule(r.messageExpression).eval(vars);
        if (typeof m === 'string' && m.trim() !== '') msg = m;
      } catch {
        /* fall back to message, as Kubernetes does */
      }
    }
    const field = r.fieldPath ? `${path}${r.fieldPath}`.replace(/^\./, '') : path;
    const reason = r.reason ?? 'FieldValueInvalid';
    const text =
      reason === 'FieldValueForbidden'
        ? `Forbidden: ${msg}`
        : reason === 'FieldValueRequired'
          ? `Required value: ${msg}`
          : reason === 'FieldValueDuplicate'
            ? `Duplicate value: ${msg}`
            : `Invalid value: ${JSON.stringify(celTypeName(s, v))}: ${msg}`;
    out.push({ reason, field, message: text });
  }
}
