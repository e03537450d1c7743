/**
 * Shared state of one `buildConfig` run: the issue sink, the cluster view (nodes, namespaces,
 * secrets) and small helpers used by every stage.
 */
import { anySelectorMatches, formatLabelSelector, parseLabelSelector, type LabelSelector } from '@metallb-ts/labels';
import { IssueSink, RULES, type ObjectRef } from './errors.js';

/** How BGP is implemented; decides the mode-specific rules (§2.3). */
export type BgpType = 'native' | 'frr' | 'frr-k8s';

/** The labels of one cluster-scoped object (Node, Namespace). */
export interface Labelled {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A Secret, reduced to what peers need. */
export interface SecretView {
  readonly name: string;
  readonly type: string | undefined;
  /** Decoded values (from `data`, base64, and `stringData`). */
  readonly values: ReadonlyMap<string, string>;
}

/** State of one pipeline run. */
export class BuildContext {
  readonly sink = new IssueSink();
  /** Pools matched per selector key (see `selectPools`). */
  readonly poolSelectorCache = new Map<string, readonly string[]>();
  private readonly nodeCache = new Map<string, ReadonlySet<string>>();

  constructor(
    readonly namespace: string,
    readonly bgpType: BgpType,
    readonly nodes: readonly Labelled[],
    readonly namespaces: readonly Labelled[],
    readonly secrets: ReadonlyMap<string, SecretView>,
  ) {}

  /** Reference to an object of the MetalLB namespace. */
  ref(kind: string, name: string): ObjectRef {
    return { kind, namespace: this.namespace, name };
  }

  /**
   * Parses a list of selectors at `field` with `@metallb-ts/labels` (Kubernetes' checks), adds
   * MetalLB's (P7: a value or an expression repeated within one selector), and reports semantic
   * duplicates across the list. Returns the parsed selectors, or undefined when any is invalid.
   */
  selectors(ref: ObjectRef, field: string, list: readonly LabelSelector[] | undefined): LabelSelector[] | undefined {
    const out: LabelSelector[] = [];
    const keys = new Set<string>();
    let ok = true;
    (list ?? []).forEach((sel, i) => {
      const at = `${field}[${i}]`;
      const r = parseLabelSelector(sel, at);
      if (!r.ok) {
        ok = false;
        for (const e of r.errors) this.sink.invalid(RULES.badSelector, ref, e.path, e.detail, e.hint);
        return;
      }
      if (!this.noRepeats(ref, at, r.selector)) {
        ok = false;
        return;
      }
      const key = formatLabelSelector(r.selector);
      if (keys.has(key)) {
        ok = false;
        this.sink.invalid(RULES.duplicateEntry, ref, at, `duplicate definition in ${field.split('.').pop()} field`, 'remove the repeated selector');
        return;
      }
      keys.add(key);
      out.push(r.selector);
    });
    return ok ? out : undefined;
  }

  /** MetalLB's P7 extras: no value repeated within an expression, no expression repeated. */
  private noRepeats(ref: ObjectRef, at: string, sel: LabelSelector): boolean {
    const before = this.sink.count;
    const seen = new Set<string>();
    (sel.matchExpressions ?? []).forEach((e, i) => {
      const values = e.values ?? [];
      if (new Set(values).size !== values.length) {
        this.sink.invalid(RULES.badSelector, ref, `${at}.matchExpressions[${i}].values`, 'duplicate values in one expression', 'list each value once');
      }
      const key = formatLabelSelector({ matchExpressions: [e] });
      if (seen.has(key)) this.sink.invalid(RULES.badSelector, ref, `${at}.matchExpressions[${i}]`, 'duplicate match expression', 'list each expression once');
      seen.add(key);
    });
    return this.sink.count === before;
  }

  /** Reports literal duplicates in a list of strings; returns true when there are none. */
  noDuplicates(ref: ObjectRef, field: string, list: readonly string[] | undefined): boolean {
    const seen = new Set<string>();
    let ok = true;
    (list ?? []).forEach((v, i) => {
      if (seen.has(v)) {
        ok = false;
        this.sink.invalid(RULES.duplicateEntry, ref, `${field}[${i}]`, `duplicate definition in ${field.split('.').pop()} field: "${v}"`, 'list each entry once');
      }
      seen.add(v);
    });
    return ok;
  }

  /** Names of the known nodes matching any selector; every known node when the list is empty. */
  nodesMatching(sels: readonly LabelSelector[]): ReadonlySet<string> {
    const key = sels.map(formatLabelSelector).sort().join('\u0000') + (sels.length === 0 ? '*' : '');
    let hit = this.nodeCache.get(key);
    if (!hit) {
      hit = new Set(this.nodes.filter((n) => sels.length === 0 || anySelectorMatches(sels, n.labels)).map((n) => n.name));
      this.nodeCache.set(key, hit);
    }
    return hit;
  }
}
