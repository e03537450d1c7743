/**
 * `?labelSelector=` and `?fieldSelector=` of list and watch requests. Label selectors are parsed
 * and matched by `@metallb-ts/labels` (the one implementation in the workspace, as
 * `k8s.io/apimachinery/pkg/labels`); field selectors (`metadata.name=x`, `spec.type!=ClusterIP`)
 * are this server's own. Pure functions.
 */
import { parseSelectorText, requirementsMatch, type Requirement } from '@metallb-ts/labels';

/** A malformed selector; the server answers 400 with its message. */
export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
  constructor(
    /** The selector text. */
    readonly selector: string,
    /** What is wrong. */
    readonly reason: string,
  ) {
    super(`unable to parse requirement: ${reason} (selector "${selector}")`);
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
 * Parses a request's `labelSelector` and `fieldSelector` (absent = everything). Throws
 * {@link SelectorParseError}, which the server turns into a 400.
 */
export function parseSelection(labelSelector: string | undefined, fieldSelector: string | undefined): Selection {
  const labels = parseSelectorText(labelSelector ?? '');
  if (!labels.ok) throw new SelectorParseError(labelSelector ?? '', labels.error.detail);
  return { labels: labels.requirements, fields: parseFieldSelector(fieldSelector) };
}

/** Whether an object is selected: its labels meet every label requirement and it meets every field requirement. */
export function selects(sel: Selection, obj: { metadata?: { labels?: Record<string, string> } }): boolean {
  return requirementsMatch(sel.labels, obj.metadata?.labels) && matchFields(sel.fields, obj);
}

/** One field requirement: `metadata.name=x` or `spec.type!=ClusterIP`. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses a field selector. Throws {@link SelectorParseError}. */
export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  const sel = (text ?? '').trim();
  if (sel === '') return [];
  return sel.split(',').map((raw) => {
    const m = raw.trim().match(/^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorParseError(sel, `invalid field selector "${raw}"`);
    return { field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

/** Reads a dotted path such as `spec.nodeName`; missing fields read as `''`, as the real server's field sets do. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: any = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = cur[p];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** Whether `obj` satisfies every field requirement. */
export function matchFields(sel: FieldRequirement[], obj: unknown): boolean {
  return sel.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}
