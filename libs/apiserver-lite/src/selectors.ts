/**
 * `?labelSelector=` and `?fieldSelector=` of list and watch requests. Label selectors are parsed
 * and matched by `@metallb-ts/labels` (the one implementation in the workspace, as
 * `k8s.io/apimachinery/pkg/labels`); field selectors are parsed as `k8s.io/apimachinery/pkg/fields`
 * does (terms split on unescaped commas, `!=`/`==`/`=`, values unescaped) and checked against the
 * fields kube-apiserver lets each kind be selected by, with its two refusal messages. Pure functions.
 */
import { parseSelectorText, requirementsMatch, type Requirement } from '@metallb-ts/labels';

/** A malformed or refused selector; the server answers 400 `BadRequest` with {@link SelectorParseError.message}. */
export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
  constructor(
    /** The selector text. */
    readonly selector: string,
    /** What is wrong. */
    readonly reason: string,
    /** The whole message, as kube-apiserver words it. @default `unable to parse requirement: <reason>` */
    message = `unable to parse requirement: ${reason}`,
  ) {
    super(message);
  }
}

/** Parsed list/watch selection. */
export interface Selection {
  /** Label requirements, ANDed (none = everything). */
  labels: readonly Requirement[];
  /** Field requirements, ANDed (none = everything). */
  fields: FieldRequirement[];
}

/**
 * The resource a field selector is checked against: its group, its plural, whether it is
 * namespaced and, for a custom resource, the CRD that defines it (custom resources are selectable
 * by `metadata.name` and `metadata.namespace` only).
 */
export interface FieldSelectorTarget {
  group: string;
  plural: string;
  namespaced: boolean;
  /** Set for custom resources (the CRD name). */
  crd?: string;
}

/**
 * Parses a request's `labelSelector` and `fieldSelector` (absent = everything). With `target`,
 * field selectors on fields that kind cannot be selected by are refused as kube-apiserver refuses
 * them. Throws {@link SelectorParseError}, which the server turns into a 400.
 */
export function parseSelection(labelSelector: string | undefined, fieldSelector: string | undefined, target?: FieldSelectorTarget): Selection {
  const labels = parseSelectorText(labelSelector ?? '');
  if (!labels.ok) throw new SelectorParseError(labelSelector ?? '', labels.error.detail);
  const fields = parseFieldSelector(fieldSelector);
  if (target) checkFieldSelector(fields, target, fieldSelector ?? '');
  return { labels: labels.requirements, fields };
}

/** Whether an object is selected: its labels meet every label requirement and it meets every field requirement. */
export function selects(sel: Selection, obj: { metadata?: { labels?: Record<string, string> } }): boolean {
  return requirementsMatch(sel.labels, obj.metadata?.labels) && matchFields(sel.fields, obj);
}

/** One field requirement: `metadata.name=x` or `spec.type!=ClusterIP` (the value unescaped). */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on commas that are not escaped with `\` (`fields.splitTerms`). */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** The first operator occurrence splits a term; the field part allows no escaping (`fields.splitTerm`). */
function splitTerm(term: string): { field: string; op: '!=' | '==' | '='; raw: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) if (term.startsWith(op, i)) return { field: term.slice(0, i), op, raw: term.slice(i + op.length) };
  }
  return undefined;
}

/** `\\`, `\,` and `\=` stand for themselves; a bare `,` or `=` and other escapes are errors (`fields.UnescapeValue`). */
function unescapeValue(selector: string, s: string): string {
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorParseError(selector, `invalid escape sequence: \\${c}`, `invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new SelectorParseError(selector, `unescaped character in value: ${c.codePointAt(0)}`, `invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new SelectorParseError(selector, 'invalid escape sequence: \\', 'invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Parses a field selector as kube-apiserver does: terms in byte order (it sorts them, which
 * decides which bad term an error names), empty terms ignored, no trimming (` a=b` selects field
 * `" a"`). Throws {@link SelectorParseError}.
 */
export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  const sel = text ?? '';
  if (sel === '') return [];
  const out: FieldRequirement[] = [];
  for (const term of splitTerms(sel).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (term === '') continue;
    const t = splitTerm(term);
    if (!t) throw new SelectorParseError(sel, `can't understand '${term}'`, `invalid selector: '${sel}'; can't understand '${term}'`);
    out.push({ field: t.field, op: t.op === '!=' ? '!=' : '=', value: unescapeValue(sel, t.raw) });
  }
  return out;
}

/** A field's value as kube-apiserver's field set holds it (Go zero values for absent fields). */
type FieldGetter = (obj: any) => string;

const str =
  (...path: string[]): FieldGetter =>
  (o) => {
    let cur = o;
    for (const p of path) cur = cur !== null && typeof cur === 'object' ? cur[p] : undefined;
    return cur === undefined || cur === null ? '' : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
  };
const bool =
  (...path: string[]): FieldGetter =>
  (o) =>
    str(...path)(o) === 'true' ? 'true' : 'false';
const meta = { 'metadata.name': str('metadata', 'name'), 'metadata.namespace': str('metadata', 'namespace') };
const metaName = { 'metadata.name': str('metadata', 'name') };
const objectRef = (prefix: string): Record<string, FieldGetter> =>
  Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [`${prefix}.${f}`, str(prefix, f)]));
const podIP: FieldGetter = (o) => {
  const ips = Array.isArray(o?.status?.podIPs) ? o.status.podIPs : [];
  return ips.length ? str('ip')(ips[0]) : str('status', 'podIP')(o);
};

/**
 * The kinds whose field selectors kube-apiserver converts with a per-kind function: exactly these
 * fields are selectable, anything else is `field label not supported: <field>`. Keyed by storage
 * key (`group/plural`). Every other built-in kind is selectable by `metadata.name` and
 * `metadata.namespace` only, and refuses other fields with `"<field>" is not a known field
 * selector: only "metadata.name", "metadata.namespace"`.
 */
export const FIELD_LABELS: Readonly<Record<string, Readonly<Record<string, FieldGetter>>>> = {
  '/pods': {
    ...meta,
    'spec.nodeName': str('spec', 'nodeName'),
    // Old clients' name for spec.nodeName.
    'spec.host': str('spec', 'nodeName'),
    'spec.restartPolicy': str('spec', 'restartPolicy'),
    'spec.schedulerName': str('spec', 'schedulerName'),
    'spec.serviceAccountName': str('spec', 'serviceAccountName'),
    'spec.hostNetwork': bool('spec', 'hostNetwork'),
    'status.phase': str('status', 'phase'),
    'status.podIP': podIP,
    'status.podIPs': podIP,
    'status.nominatedNodeName': str('status', 'nominatedNodeName'),
  },
  '/nodes': { ...metaName, 'spec.unschedulable': bool('spec', 'unschedulable') },
  '/namespaces': { ...metaName, 'status.phase': str('status', 'phase') },
  '/services': { ...meta, 'spec.clusterIP': str('spec', 'clusterIP'), 'spec.type': str('spec', 'type') },
  '/secrets': { ...meta, type: str('type') },
  '/events': { ...meta, ...objectRef('involvedObject'), reason: str('reason'), reportingComponent: str('reportingComponent'), source: str('source', 'component'), type: str('type') },
  'events.k8s.io/events': { ...meta, ...objectRef('regarding'), reason: str('reason'), reportingController: str('reportingController'), type: str('type') },
};

/** Refuses fields `target` cannot be selected by, with kube-apiserver's message. */
function checkFieldSelector(fields: FieldRequirement[], target: FieldSelectorTarget, selector: string): void {
  const key = `${target.group}/${target.plural}`;
  const converted = FIELD_LABELS[key] ?? (target.crd ? (target.namespaced ? meta : metaName) : undefined);
  for (const f of fields) {
    if (converted) {
      if (!Object.hasOwn(converted, f.field)) throw new SelectorParseError(selector, `field label not supported: ${f.field}`, `field label not supported: ${f.field}`);
    } else if (f.field !== 'metadata.name' && f.field !== 'metadata.namespace') {
      throw new SelectorParseError(selector, `"${f.field}" is not a known field selector`, `"${f.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
  }
}

/** The group of an object's `apiVersion` (`''` for the core group). */
function groupOf(obj: any): string {
  const av = typeof obj?.apiVersion === 'string' ? obj.apiVersion : '';
  return av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
}

/** The field-set getter of `field` for this object's kind, if kube-apiserver's field set has one. */
function getterFor(obj: any, field: string): FieldGetter | undefined {
  const kind = typeof obj?.kind === 'string' ? obj.kind : '';
  const group = groupOf(obj);
  for (const [key, getters] of Object.entries(FIELD_LABELS)) {
    const [g, plural] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    if (g === group && plural === `${kind.toLowerCase()}s` && Object.hasOwn(getters, field)) return getters[field];
  }
  return undefined;
}

/**
 * Reads a field as the object's field set holds it: the per-kind fields of {@link FIELD_LABELS}
 * with their Go zero values (`spec.unschedulable` of a Node without it is `"false"`), otherwise a
 * dotted path where a missing field reads as `''`.
 */
export function fieldValue(obj: unknown, path: string): string {
  const get = getterFor(obj, path);
  if (get) return get(obj);
  return str(...path.split('.'))(obj);
}

/** Whether `obj` satisfies every field requirement. */
export function matchFields(sel: FieldRequirement[], obj: unknown): boolean {
  return sel.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}
