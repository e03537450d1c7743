/**
 * Which interfaces an announcement uses (MetalLB §6.2, §6.4), as pure functions: the
 * L2Advertisements' `interfaces` lists and the `announcedInterfacesToExclude` patterns of the
 * `excludel2` ConfigMap, against the interfaces the responder scanned.
 */

/** Anything with an interface name ({@link LinkInfo}, `ScannedLink`, or `{ name }`). */
export interface NamedLink {
  readonly name: string;
}

/** Input of {@link selectInterfaces}. */
export interface InterfaceSelectionOptions {
  /**
   * The interfaces the node's L2Advertisements allow ({@link advertisedInterfaces}); undefined or
   * empty: every interface. @default undefined
   */
  readonly interfaces?: readonly string[] | undefined;
  /**
   * Names matching any of these are not node interfaces (MetalLB compiles `(r1)|(r2)|…` and
   * matches anywhere in the name: anchor with `^…$` to match whole names). @default []
   */
  readonly exclude?: readonly RegExp[];
}

/** What {@link selectInterfaces} decided for one announcement. */
export type InterfaceSelection =
  /** No restriction: announce with `interfaces: []` (every interface the responder answers on). */
  | { readonly kind: 'all'; readonly interfaces: readonly []; readonly nodeInterfaces: readonly string[] }
  /**
   * Restricted, and at least one named interface exists: announce with `interfaces` (all the
   * names, as MetalLB registers them; `missing` ones start answering when they appear).
   * ServiceL2Status lists `interfaces`.
   */
  | {
      readonly kind: 'restricted';
      readonly interfaces: readonly string[];
      readonly present: readonly string[];
      readonly missing: readonly string[];
      readonly nodeInterfaces: readonly string[];
    }
  /**
   * Restricted, and none of the named interfaces exists on the node (excluded names do not
   * count): MetalLB skips the IP and records a Warning Event `announceFailed`.
   */
  | { readonly kind: 'none-present'; readonly interfaces: readonly string[]; readonly missing: readonly string[]; readonly nodeInterfaces: readonly string[] };

/**
 * The node interface list (MetalLB §6.4: every interface whose name matches no exclude pattern,
 * even if down), in the order given.
 */
export function nodeInterfaces(links: readonly NamedLink[], exclude: readonly RegExp[] = []): string[] {
  return links.map((l) => l.name).filter((n) => !isExcluded(n, exclude));
}

/** Whether `name` matches one of the exclude patterns (unanchored, as Go's `MatchString`). */
export function isExcluded(name: string, exclude: readonly RegExp[]): boolean {
  return exclude.some((re) => {
    re.lastIndex = 0; // a /g or /y pattern must not carry state between names
    return re.test(name);
  });
}

/**
 * MetalLB §6.2: the interfaces allowed by the L2Advertisements that select this node. Any of
 * them without an `interfaces` list (empty) → undefined (every interface); otherwise the union,
 * in order, without repeats.
 */
export function advertisedInterfaces(ads: readonly { readonly interfaces: readonly string[] }[]): string[] | undefined {
  if (ads.length === 0 || ads.some((a) => a.interfaces.length === 0)) return undefined;
  return [...new Set(ads.flatMap((a) => a.interfaces))];
}

/**
 * MetalLB §6.2 for one IP: with no restriction every interface; with one, the IP is announced
 * when at least one named interface is a node interface (exists and is not excluded), else
 * `none-present` (`announceFailed`). Pure.
 *
 * ```ts
 * const sel = selectInterfaces(responder.links(), { interfaces: advertisedInterfaces(myAds), exclude });
 * if (sel.kind === 'none-present') events.warn('announceFailed', `… ${sel.missing.join(', ')} …`);
 * else responder.announce(key, ip, { interfaces: sel.interfaces });
 * ```
 */
export function selectInterfaces(links: readonly NamedLink[], opts: InterfaceSelectionOptions = {}): InterfaceSelection {
  const nodeIfs = nodeInterfaces(links, opts.exclude ?? []);
  const wanted = [...new Set(opts.interfaces ?? [])];
  if (wanted.length === 0) return { kind: 'all', interfaces: [], nodeInterfaces: nodeIfs };
  const have = new Set(nodeIfs);
  const present = wanted.filter((n) => have.has(n));
  const missing = wanted.filter((n) => !have.has(n));
  if (present.length === 0) return { kind: 'none-present', interfaces: wanted, missing, nodeInterfaces: nodeIfs };
  return { kind: 'restricted', interfaces: wanted, present, missing, nodeInterfaces: nodeIfs };
}

/** Outcome of {@link compileInterfaceExcludes}. */
export type ExcludeCompileResult =
  | { readonly kind: 'ok'; readonly exclude: readonly RegExp[] }
  /** A pattern is not a valid regular expression: keep the previous list and report it. */
  | { readonly kind: 'invalid'; readonly pattern: string; readonly message: string };

/**
 * Compiles the `announcedInterfacesToExclude` strings (the `excludel2` ConfigMap) into patterns
 * for {@link selectInterfaces} and `ResponderOptions.excludeInterfaces`. JavaScript syntax, which
 * agrees with Go's RE2 on the patterns MetalLB ships (`^veth.*`, `docker.*`, `lo`…).
 */
export function compileInterfaceExcludes(patterns: readonly string[]): ExcludeCompileResult {
  const exclude: RegExp[] = [];
  for (const p of patterns) {
    try {
      exclude.push(new RegExp(p));
    } catch (e) {
      return {
        kind: 'invalid',
        pattern: p,
        message: `announcedInterfacesToExclude: "${p}" is not a valid regular expression (${e instanceof Error ? e.message : String(e)}); fix or remove it`,
      };
    }
  }
  return { kind: 'ok', exclude };
}
