/**
 * Checks a CustomResourceDefinition against Kubernetes' structural-schema rules
 * (apiextensions.k8s.io/v1, "Specifying a structural schema") and the CRD-level rules that
 * kube-apiserver enforces on creation. Returns human-readable problems; empty means valid.
 */
import type { Schema } from '../../src/crd/schema-builders.js';

const ALLOWED_KEYWORDS = new Set([
  'type', 'description', 'format', 'default', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'pattern', 'properties',
  'additionalProperties', 'required', 'items', 'nullable', 'title', 'multipleOf', 'example', 'externalDocs',
  'x-kubernetes-map-type', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource',
]);
/** Keywords a structural schema must not use (or we deliberately avoid). */
const FORBIDDEN = ['$ref', 'definitions', 'dependencies', 'additionalItems', 'patternProperties', '$schema', 'id', 'uniqueItems', 'allOf', 'anyOf', 'oneOf', 'not'];
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

function valueMatches(type: string | undefined, v: unknown): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    default: return false;
  }
}

/** Structural problems in one schema tree. */
export function structuralProblems(s: Schema, path = '<root>', underMetadata = false): string[] {
  const out: string[] = [];
  const any = s as Record<string, unknown>;
  for (const k of Object.keys(any)) {
    if (FORBIDDEN.includes(k)) out.push(`${path}: keyword "${k}" is not allowed in a structural schema`);
    else if (!ALLOWED_KEYWORDS.has(k)) out.push(`${path}: unknown keyword "${k}"`);
  }
  if (!s.type && !any['x-kubernetes-int-or-string'] && !any['x-kubernetes-preserve-unknown-fields']) {
    out.push(`${path}: type is required`);
  } else if (s.type && !TYPES.has(s.type)) out.push(`${path}: unknown type "${s.type}"`);
  if (s.properties && s.type !== 'object') out.push(`${path}: properties on a non-object`);
  if (s.additionalProperties && s.type !== 'object') out.push(`${path}: additionalProperties on a non-object`);
  if (s.properties && s.additionalProperties) out.push(`${path}: properties and additionalProperties are mutually exclusive`);
  if (s.type === 'array' && !s.items) out.push(`${path}: an array needs items`);
  if (s.items && s.type !== 'array') out.push(`${path}: items on a non-array`);
  if (s.required) {
    for (const r of s.required) if (!s.properties?.[r]) out.push(`${path}: required property "${r}" is not declared`);
  }
  if (s.default !== undefined) {
    if (underMetadata) out.push(`${path}: defaults are not allowed under metadata`);
    if (!valueMatches(s.type, s.default)) out.push(`${path}: default ${JSON.stringify(s.default)} is not of type ${s.type}`);
    if (s.enum && !s.enum.includes(s.default)) out.push(`${path}: default is not in enum`);
    if (typeof s.default === 'number' && ((s.minimum !== undefined && s.default < s.minimum) || (s.maximum !== undefined && s.default > s.maximum))) {
      out.push(`${path}: default ${s.default} is outside [${s.minimum}, ${s.maximum}]`);
    }
  }
  for (const v of s.enum ?? []) if (!valueMatches(s.type, v)) out.push(`${path}: enum value ${JSON.stringify(v)} is not of type ${s.type}`);
  if (s['x-kubernetes-map-type'] && s.type !== 'object') out.push(`${path}: x-kubernetes-map-type on a non-object`);
  const lt = s['x-kubernetes-list-type'];
  if (lt && s.type !== 'array') out.push(`${path}: x-kubernetes-list-type on a non-array`);
  if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length === 0) out.push(`${path}: list-type map needs x-kubernetes-list-map-keys`);
    for (const k of keys) {
      const item = s.items;
      if (!item?.properties?.[k]) out.push(`${path}: list-map key "${k}" is not a property of the items`);
      else if (!item.required?.includes(k) && item.properties[k]!.default === undefined) {
        out.push(`${path}: list-map key "${k}" must be required or defaulted`);
      }
    }
  } else if (s['x-kubernetes-list-map-keys']) out.push(`${path}: x-kubernetes-list-map-keys needs list-type map`);
  if (lt === 'set' && s.items?.type !== 'string' && s.items?.type !== 'integer') {
    out.push(`${path}: list-type set needs scalar items`);
  }
  for (const r of s['x-kubernetes-validations'] ?? []) {
    if (typeof r.rule !== 'string' || r.rule === '') out.push(`${path}: a validation rule needs a rule`);
    if (typeof r.message !== 'string' || r.message === '' || r.message.includes('\n')) {
      out.push(`${path}: a validation rule needs a one-line message`);
    }
  }
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    out.push(...structuralProblems(child, path === '<root>' ? k : `${path}.${k}`, underMetadata || (path === '<root>' && k === 'metadata')));
  }
  if (s.items) out.push(...structuralProblems(s.items, `${path}[*]`, underMetadata));
  if (s.additionalProperties) out.push(...structuralProblems(s.additionalProperties, `${path}{*}`, underMetadata));
  return out;
}

/** Resolves a printer-column JSONPath (`.spec.a`, `.status.x[*].name`) to its schema node. */
export function schemaAt(root: Schema, jsonPath: string): Schema | undefined {
  if (!jsonPath.startsWith('.')) return undefined;
  let cur: Schema | undefined = root;
  for (const part of jsonPath.slice(1).split('.')) {
    const m = /^([A-Za-z0-9_-]+)(\[\*\])?$/.exec(part);
    if (!m || !cur) return undefined;
    if (m[1] === 'metadata' && cur === root) return { type: 'object' };
    cur = cur.properties?.[m[1]!];
    if (m[2]) cur = cur?.items;
  }
  return cur;
}
