/**
 * Label and field selectors, parsed and matched as the Kubernetes apimachinery does
 * (`k8s.io/apimachinery/pkg/labels` and `.../fields`). Pure functions.
 */

/** One parsed label requirement. */
export type LabelRequirement =
  | { op: 'exists' | 'not-exists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'gt' | 'lt'; key: string; value: number };

/** A parsed label selector: every requirement must hold (an empty list matches everything). */
export type LabelSelector = LabelRequirement[];

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

const KEY = /^([a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(sel: string, key: string): string {
  if (!KEY.test(key) || key.length > 316) throw new SelectorParseError(sel, `invalid label key "${key}"`);
  return key;
}

function checkValue(sel: string, v: string): string {
  if (!VALUE.test(v) || v.length > 63) throw new SelectorParseError(sel, `invalid label value: "${v}"`);
  return v;
}

/** Parses `a=b,c!=d,e in (x,y),!f,g`. Throws {@link SelectorParseError}. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  const sel = (text ?? '').trim();
  if (sel === '') return [];
  const reqs: LabelSelector = [];
  for (const raw of splitTop(sel)) {
    const part = raw.trim();
    if (part === '') throw new SelectorParseError(sel, 'found \'\', expected: identifier');
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3]!.split(',').map((v) => checkValue(sel, v.trim()));
      reqs.push({ op: m[2] as 'in' | 'notin', key: checkKey(sel, m[1]!), values });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      reqs.push({ op: 'not-exists', key: checkKey(sel, m[1]!) });
    } else if ((m = part.match(/^([^=!<>\s]+)\s*(==|=|!=)\s*(.*)$/))) {
      const key = checkKey(sel, m[1]!);
      const value = checkValue(sel, m[3]!.trim());
      reqs.push({ op: m[2] === '!=' ? 'notin' : 'in', key, values: [value] });
    } else if ((m = part.match(/^([^=!<>\s]+)\s*(<|>)\s*(-?\d+)$/))) {
      reqs.push({ op: m[2] === '>' ? 'gt' : 'lt', key: checkKey(sel, m[1]!), value: Number(m[3]) });
    } else if ((m = part.match(/^([^=!<>\s()]+)$/))) {
      reqs.push({ op: 'exists', key: checkKey(sel, m[1]!) });
    } else throw new SelectorParseError(sel, `unable to parse "${part}"`);
  }
  return reqs;
}

/** Whether `labels` satisfy every requirement. */
export function matchLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'not-exists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
      default:
        return assertNever(r);
    }
  }
  return true;
}

/** A `metav1.LabelSelector` (`matchLabels` + `matchExpressions`) converted to requirements. */
export function fromLabelSelectorObject(s: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): LabelSelector {
  const out: LabelSelector = [];
  for (const [key, value] of Object.entries(s?.matchLabels ?? {})) out.push({ op: 'in', key, values: [value] });
  for (const e of s?.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') out.push({ op, key: e.key, values: e.values ?? [] });
    else if (op === 'exists') out.push({ op: 'exists', key: e.key });
    else if (op === 'doesnotexist') out.push({ op: 'not-exists', key: e.key });
  }
  return out;
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

/** Exhaustiveness check for switches over unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
