/**
 * Checks a value against one of our CRD schemas (the keywords `schema-builders.ts` emits), the
 * way kube-apiserver would before CEL rules: types, required fields, enums, ranges, lengths,
 * patterns, item counts and unknown fields. CEL rules are *not* evaluated here; the typed
 * parsers re-implement each one with a precise message.
 */
import { DURATION_RE, type Schema } from './schema-builders.js';

/** Kind of a schema violation (maps onto rule ids in `errors.ts`). */
export type SchemaViolationKind =
  | 'required'
  | 'type'
  | 'enum'
  | 'range'
  | 'length'
  | 'pattern'
  | 'items'
  | 'unknown-field';

/** One schema violation. */
export interface SchemaViolation {
  kind: SchemaViolationKind;
  /** kubectl-style path: `spec.addresses[0]`. */
  path: string;
  /** What is wrong, without the path. */
  message: string;
  /** What to change. */
  hint: string;
}

/** JSON type name of a value, using `integer` for whole numbers. */
export function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeOk(type: Schema['type'], v: unknown): boolean {
  switch (type) {
    case undefined:
      return true;
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    default:
      return typeof v === type;
  }
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : jsonType(v) === 'object' ? 'an object' : JSON.stringify(v));
const join = (path: string, k: string) => (path === '' ? k : `${path}.${k}`);

/**
 * Returns every violation of `schema` by `value` (depth first, properties in schema order).
 * `metadata` is not descended into (the API server owns its shape).
 */
export function checkSchema(value: unknown, schema: Schema, path = ''): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  visit(value, schema, path, out);
  return out;
}

function visit(v: unknown, s: Schema, path: string, out: SchemaViolation[]): void {
  if (!typeOk(s.type, v)) {
    out.push({
      kind: 'type',
      path,
      message: `must be ${article(s.type!)}, got ${jsonType(v)} ${jsonType(v) === 'object' || jsonType(v) === 'array' ? '' : show(v)}`.trimEnd(),
      hint: `write ${path || 'the object'} as ${article(s.type!)}`,
    });
    return;
  }
  if (s.enum && !s.enum.includes(v)) {
    out.push({
      kind: 'enum',
      path,
      message: `unsupported value ${show(v)}`,
      hint: `use one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}`,
    });
  }
  if (typeof v === 'number') {
    if ((s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum)) {
      const lo = s.minimum ?? '-∞';
      const hi = s.maximum ?? '∞';
      out.push({ kind: 'range', path, message: `${v} is out of range`, hint: `use a value from ${lo} to ${hi}` });
    }
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) {
      out.push({ kind: 'length', path, message: v === '' ? 'must not be empty' : `is shorter than ${s.minLength} characters`, hint: `set ${path} to a non-empty value or remove it` });
    }
    if (s.maxLength !== undefined && v.length > s.maxLength) {
      out.push({ kind: 'length', path, message: `is longer than ${s.maxLength} characters`, hint: `shorten ${path}` });
    }
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) {
      const hint = s.pattern === DURATION_RE ? 'write a duration such as 90s, 1m30s or 300ms' : `match the pattern ${s.pattern}`;
      out.push({ kind: 'pattern', path, message: `${show(v)} is not in the expected format`, hint });
    }
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) {
      out.push({ kind: 'items', path, message: `needs at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`, hint: `add entries to ${path}` });
    }
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      out.push({ kind: 'items', path, message: `has more than ${s.maxItems} items`, hint: `split ${path} over several objects` });
    }
    if (s.items) v.forEach((x, i) => visit(x, s.items!, `${path}[${i}]`, out));
  }
  if (s.type === 'object' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (s.maxProperties !== undefined && Object.keys(o).length > s.maxProperties) {
      out.push({ kind: 'items', path, message: `has more than ${s.maxProperties} entries`, hint: `reduce ${path}` });
    }
    for (const r of s.required ?? []) {
      if (o[r] === undefined || o[r] === null) {
        out.push({ kind: 'required', path: join(path, r), message: 'is required', hint: `set ${join(path, r)}` });
      }
    }
    if (s.properties) {
      for (const [k, x] of Object.entries(o)) {
        const child = s.properties[k];
        if (!child) {
          out.push({
            kind: 'unknown-field',
            path: join(path, k),
            message: 'is not a known field',
            hint: `remove it or fix its spelling (known: ${Object.keys(s.properties).join(', ')})`,
          });
          continue;
        }
        if (x === undefined || x === null || (path === '' && k === 'metadata')) continue;
        visit(x, child, join(path, k), out);
      }
    } else if (s.additionalProperties) {
      for (const [k, x] of Object.entries(o)) visit(x, s.additionalProperties, `${path}[${k}]`, out);
    }
  }
}
