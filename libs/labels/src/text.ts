/**
 * The text form of label selectors, as `?labelSelector=` and `kubectl -l` take it, parsed like
 * `k8s.io/apimachinery/pkg/labels.Parse`:
 *
 * ```
 * selector    = "" | requirement { "," requirement }
 * requirement = key                          (Exists)
 *             | "!" key                      (DoesNotExist)
 *             | key ("=" | "==") [value]     (In, one value; empty value allowed)
 *             | key "!=" [value]             (NotIn, one value)
 *             | key ("in" | "notin") "(" [value] { "," [value] } ")"
 *             | key (">" | "<") integer      (Gt, Lt)
 * ```
 *
 * White space between tokens is ignored; identifiers are runs of anything but white space and
 * `=!(),<>`. `in` and `notin` are operators only in operator position: as a key or a value they
 * are ordinary identifiers (`in=x`, `!notin`, `a in (in)`). Keys and values are then checked as
 * label keys and values.
 */
import { LabelSelectorError, type LabelSelectorErrorReason } from './error.js';
import { parseInt64, type Requirement, type RequirementOperator } from './requirement.js';
import { labelKeyProblem, labelValueProblem } from './syntax.js';

/** Result of {@link parseSelectorText}: the requirements in the order written, or the first problem. */
export type SelectorTextResult = { readonly ok: true; readonly requirements: readonly Requirement[] } | { readonly ok: false; readonly error: LabelSelectorError };

type Tok =
  | { kind: 'id'; text: string; at: number }
  | { kind: 'op'; text: '=' | '==' | '!=' | '>' | '<'; at: number }
  | { kind: '!' | '(' | ')' | ',' | 'end'; text: string; at: number };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '<', '>']);
const SPACE = new Set([' ', '\t', '\r', '\n']);

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (SPACE.has(c)) {
      i++;
    } else if (c === '=' || c === '!') {
      if (s[i + 1] === '=') {
        out.push({ kind: 'op', text: c === '=' ? '==' : '!=', at: i });
        i += 2;
      } else {
        out.push(c === '=' ? { kind: 'op', text: '=', at: i } : { kind: '!', text: '!', at: i });
        i++;
      }
    } else if (c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, at: i++ });
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, text: c, at: i++ });
    } else {
      const start = i;
      while (i < s.length && !SPACE.has(s[i]!) && !SPECIAL.has(s[i]!)) i++;
      out.push({ kind: 'id', text: s.slice(start, i), at: start });
    }
  }
  out.push({ kind: 'end', text: '', at: s.length });
  return out;
}

class TextError {
  constructor(
    readonly reason: LabelSelectorErrorReason,
    readonly detail: string,
    readonly hint: string,
  ) {}
}

const SYNTAX_HINT = 'write requirements such as a=b, a!=b, a in (x,y), a notin (x), a, !a, separated by commas';

/**
 * Parses the text form into requirements (values sorted and unique, requirements in the order
 * written). Never throws: a malformed selector is an `{ ok: false, error }` whose `detail` reads
 * like Kubernetes' requirement errors (`found ',', expected: identifier`). The empty text (or only white space)
 * parses to no requirements, which match everything.
 *
 * @param path Field path reported in the error. @default 'labelSelector'
 */
export function parseSelectorText(text: string, path = 'labelSelector'): SelectorTextResult {
  const toks = tokenize(text);
  let pos = 0;
  const peek = () => toks[pos]!;
  const next = () => toks[pos++]!;
  const found = (t: Tok) => (t.kind === 'end' ? "''" : `'${t.text}'`);
  const fail = (detail: string, reason: LabelSelectorErrorReason = 'syntax', hint = SYNTAX_HINT) => new TextError(reason, detail, hint);
  const key = (t: Tok): string => {
    // `in` and `notin` are operators only after a key: where a key is expected Kubernetes reads
    // them as identifiers (its parser consumes keys in the "values" context), so `in!=a`, `!in`
    // and `notin in (x)` are valid selectors on the key `in`/`notin`.
    if (t.kind !== 'id') throw fail(`found ${found(t)}, expected: identifier`);
    const p = labelKeyProblem(t.text);
    if (p) throw fail(`invalid label key "${t.text}": ${p}`, 'bad-key', 'use a valid label key such as app or example.com/zone');
    return t.text;
  };
  const value = (v: string): string => {
    const p = labelValueProblem(v);
    if (p) throw fail(`invalid label value: ${p}`, 'bad-value', 'use a valid label value');
    return v;
  };
  const reqs: Requirement[] = [];
  const push = (k: string, operator: RequirementOperator, values: string[]) => reqs.push(Object.freeze({ key: k, operator, values: Object.freeze([...new Set(values)].sort()) }));
  try {
    if (peek().kind === 'end') return { ok: true, requirements: Object.freeze(reqs) };
    for (;;) {
      const t = next();
      if (t.kind === '!') {
        push(key(next()), 'DoesNotExist', []);
      } else {
        const k = key(t);
        const op = peek();
        if (op.kind === ',' || op.kind === 'end') {
          push(k, 'Exists', []);
        } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
          next();
          const v = peek();
          let val = '';
          if (v.kind === 'id') val = next().text;
          else if (v.kind !== ',' && v.kind !== 'end') throw fail(`found ${found(v)}, expected: identifier`);
          push(k, op.text === '!=' ? 'NotIn' : 'In', [value(val)]);
        } else if (op.kind === 'op') {
          next();
          const v = next();
          if (v.kind !== 'id') throw fail(`found ${found(v)}, expected: identifier`);
          if (parseInt64(v.text) === undefined) throw fail(`for 'Gt', 'Lt' operators, the value must be an integer, got "${v.text}"`, 'not-an-integer', 'compare with a whole number, e.g. n>4');
          push(k, op.text === '>' ? 'Gt' : 'Lt', [value(v.text)]);
        } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
          next();
          push(k, op.text === 'in' ? 'In' : 'NotIn', valueList().map(value));
        } else {
          throw fail(`found ${found(op)}, expected: in, notin, =, ==, !=, gt, lt`, 'bad-operator');
        }
      }
      const sep = next();
      if (sep.kind === 'end') break;
      if (sep.kind !== ',') throw fail(`found ${found(sep)}, expected: ','`);
    }
  } catch (e) {
    if (e instanceof TextError) return { ok: false, error: new LabelSelectorError(e.reason, path, e.detail, e.hint) };
    throw e;
  }
  return { ok: true, requirements: Object.freeze(reqs) };

  // "(" [value] { "," [value] } ")": empty places are the empty value, as in Kubernetes.
  function valueList(): string[] {
    const open = next();
    if (open.kind !== '(') throw fail(`found ${found(open)}, expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = next();
      if (t.kind === 'id' && expectValue) {
        values.push(t.text);
        expectValue = false;
      } else if (t.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (t.kind === ')') {
        if (expectValue) values.push('');
        return values;
      } else {
        throw fail(`found ${found(t)}, expected: ${expectValue ? "',', ')' or identifier" : "',' or ')'"}`);
      }
    }
  }
}
