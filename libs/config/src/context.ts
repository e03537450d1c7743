/**
 * Shared state of one `buildConfig` run: the issue sink, the cluster view (nodes, namespaces,
 * secrets) and small helpers used by every stage.
 */
import { IssueSink, RULES, type ObjectRef } from './errors.js';
import { anySelectorMatches, parseSelector, type Selector } from './selector.js';
import type { LabelSelector } from './types.js';

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
   * Parses a list of selectors at `field`, reporting syntax problems and (semantic) duplicates.
   * Returns undefined when any selector is invalid.
   */
  selectors(ref: ObjectRef, field: string, list: readonly LabelSelector[] | undefined): Selector[] | undefined {
    const out: Selector[] = [];
    let ok = true;
    (list ?? []).forEach((sel, i) => {
      const at = `${field}[${i}]`;
      const r = parseSelector(sel);
      if (Array.isArray(r)) {
        ok = false;
        for (const p of r) this.sink.invalid(RULES.badSelector, ref, `${at}.${p.path}`, p.message, p.hint);
        return;
      }
      if (out.some((s) => s.key === r.key)) {
        ok = false;
        this.sink.invalid(RULES.duplicateEntry, ref, at, `duplicate definition in ${field.split('.').pop()} field`, 'remove the repeated selector');
        return;
      }
      out.push(r);
    });
    return ok ? out : undefined;
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
  nodesMatching(sels: readonly Selector[]): ReadonlySet<string> {
    const key = sels.map((s) => s.key).sort().join('\u0000') + (sels.length === 0 ? '*' : '');
    let hit = this.nodeCache.get(key);
    if (!hit) {
      hit = new Set(this.nodes.filter((n) => sels.length === 0 || anySelectorMatches(sels, n.labels)).map((n) => n.name));
      this.nodeCache.set(key, hit);
    }
    return hit;
  }
}
