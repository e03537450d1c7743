/**
 * The configuration pipeline: `objects → Config | ConfigErrors`. Pure: no I/O, no clock.
 *
 * 1. classify every input (kind, version, namespace), reject malformed objects;
 * 2. check each object's shape against its CRD schema (types, ranges, required, unknown fields);
 * 3. apply MetalLB's rules per stage (§2.1 order): mode rules, BFD profiles, peers, communities,
 *    pools (then overlap), L2 and BGP advertisements (attached to pools), cross-object checks.
 *
 * Unlike MetalLB, which stops at the first error, every problem is collected (in that order,
 * objects sorted by name within a kind). Validation never applies anything: the caller keeps
 * its last valid `Config` when this returns `ConfigErrors`.
 */
import {
  aggregationProblem,
  l2DedupKey,
  localPrefConflict,
  parseBgpAdvertisement,
  parseL2Advertisement,
  poolFamilies,
} from './advertisements.js';
import { isCommunityError, parseCommunity, type BgpCommunity } from './community.js';
import type { BfdProfile, BgpAdvertisement, Config, L2AdvertisementConfig as L2Advertisement, Peer, Pool } from './config.js';
import { BuildContext, type BgpType, type Labelled, type SecretView } from './context.js';
import { checkSchema, type SchemaViolation } from './crd/check.js';
import { CRD_FILES } from './crd/crds.js';
import type { Schema } from './crd/schema-builders.js';
import { ConfigErrors, RULES, type ConfigIssue, type ConfigWarning, type ObjectRef, type RuleId } from './errors.js';
import { convertBGPPeerV1beta1, parseBfdProfile, parsePeer, peerIdentifier, peersShareNode } from './peers.js';
import { checkOverlaps, parsePool, type ParsedPool } from './pools.js';
import type {
  BFDProfile,
  BGPAdvertisement,
  BGPPeer,
  BGPPeerV1beta1,
  Community,
  IPAddressPool,
  L2Advertisement as L2AdvertisementObject,
} from './types.js';
import { DEFAULT_METALLB_NAMESPACE } from './types.js';
import { parseLabelSelector, selectorMatches } from '@metallb-ts/labels';

/** Options of {@link buildConfig}. */
export interface BuildOptions {
  /**
   * The namespace MetalLB runs in; metallb.io objects and Secrets elsewhere are ignored (with a
   * warning), as MetalLB only reads its own namespace.
   * @default 'metallb-system'
   */
  namespace?: string;
  /**
   * BGP implementation, selecting the mode-specific rules.
   * @default 'native'
   */
  bgpType?: BgpType;
  /**
   * When set (speaker), BGPPeers and BGPAdvertisements whose nodeSelectors do not match this
   * node are dropped before validation, as MetalLB's speaker does. The Node object must be
   * among the inputs, otherwise the result is a transient error.
   */
  node?: string;
}

/** The default options. */
export const DEFAULT_BUILD_OPTIONS: Required<Omit<BuildOptions, 'node'>> = Object.freeze({
  namespace: DEFAULT_METALLB_NAMESPACE,
  bgpType: 'native',
});

/** Configuration kinds by `apiVersion/kind`, with the schema each is checked against. */
const SCHEMAS = new Map<string, Schema>();
for (const { crd } of CRD_FILES) {
  for (const v of crd.spec.versions) SCHEMAS.set(`metallb.io/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
}
const CONFIG_KINDS = new Set(['IPAddressPool', 'L2Advertisement', 'BGPAdvertisement', 'BGPPeer', 'BFDProfile', 'Community']);
const STATUS_KINDS = new Set(['ServiceL2Status', 'ServiceBGPStatus', 'ConfigurationState']);

const VIOLATION_RULE: Readonly<Record<SchemaViolation['kind'], RuleId>> = {
  required: RULES.missingField,
  type: RULES.wrongType,
  enum: RULES.badValue,
  range: RULES.outOfRange,
  length: RULES.badValue,
  pattern: RULES.badValue,
  items: RULES.outOfRange,
  'unknown-field': RULES.unknownField,
};

interface Inputs {
  pools: IPAddressPool[];
  l2: L2AdvertisementObject[];
  bgpAdvs: BGPAdvertisement[];
  peers: BGPPeer[];
  bfd: BFDProfile[];
  communities: Community[];
  nodes: Labelled[];
  namespaces: Labelled[];
  secrets: Map<string, SecretView>;
  bgpExtras: string;
}

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const strMap = (v: unknown): Record<string, string> =>
  isObject(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
const byName = <T extends { metadata: { name: string } }>(a: T, b: T) =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

function decodeSecret(obj: Record<string, any>): SecretView {
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries(strMap(obj.data))) {
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(v)) values.set(k, Buffer.from(v, 'base64').toString('utf8'));
  }
  for (const [k, v] of Object.entries(strMap(obj.stringData))) values.set(k, v);
  return { name: obj.metadata.name, type: typeof obj.type === 'string' ? obj.type : undefined, values };
}

/** Decides whether a BGPPeer/BGPAdvertisement (by its raw nodeSelectors) applies to this node. */
type NodeFilter = (nodeSelectors: unknown) => boolean;

/**
 * The speaker's filter (§2.1): keep peers and BGP advertisements whose nodeSelectors are empty
 * or match this node. Unreadable selectors are kept so that validation reports them.
 */
function nodeFilter(objects: readonly unknown[], nodeName: string | undefined, issues: ConfigIssue[]): NodeFilter {
  if (nodeName === undefined) return () => true;
  const n = objects.find((o) => isObject(o) && o.apiVersion === 'v1' && o.kind === 'Node' && isObject(o.metadata) && o.metadata.name === nodeName) as Record<string, any> | undefined;
  if (!n) {
    issues.push(nodeMissing(nodeName));
    return () => true;
  }
  const labels = strMap(n.metadata.labels);
  return (sels) => {
    if (!Array.isArray(sels) || sels.length === 0) return true;
    return sels.some((s) => {
      if (!isObject(s)) return true;
      const p = parseLabelSelector(s);
      return !p.ok || selectorMatches(p.selector, labels);
    });
  };
}

function nodeMissing(nodeName: string): ConfigIssue {
  return { severity: 'transient', rule: RULES.missingField, object: { kind: 'Node', namespace: '', name: nodeName }, field: '', message: `node ${nodeName} not seen yet`, hint: 'wait for the Node object: the speaker needs its labels' };
}

/** A deep copy of plain JSON data without null-valued object fields. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, withoutNulls(x)]));
  return v;
}

/** A stable sort key per input, so that results do not depend on input order. */
function sortInputs(objects: readonly unknown[]): unknown[] {
  const key = (o: unknown): string => {
    if (!isObject(o)) return `~${typeof o}`;
    const name = isObject(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : '';
    return `${String(o.kind)}\u0000${name}\u0000${String(o.apiVersion)}`;
  };
  const keyed = objects.map((o) => {
    let text: string;
    try {
      text = JSON.stringify(o) ?? '';
    } catch {
      text = '';
    }
    return { o, k: key(o), text };
  });
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return keyed.map((x) => x.o);
}

/** Step 1 and 2: classify and shape-check every input. */
function classify(objects: readonly unknown[], ctxNs: string, issues: ConfigIssue[], warnings: ConfigWarning[], onNode: NodeFilter): Inputs {
  const inputs: Inputs = { pools: [], l2: [], bgpAdvs: [], peers: [], bfd: [], communities: [], nodes: [], namespaces: [], secrets: new Map(), bgpExtras: '' };
  const seen = new Map<string, number>();
  objects.forEach((input, index) => {
    let raw: any = input;
    const kind = isObject(raw) && typeof raw.kind === 'string' ? raw.kind : '';
    const name = isObject(raw) && isObject(raw.metadata) && typeof raw.metadata.name === 'string' ? raw.metadata.name : '';
    const namespace = isObject(raw) && isObject(raw.metadata) && typeof raw.metadata.namespace === 'string' ? raw.metadata.namespace : '';
    const ref: ObjectRef = { kind: kind || `object #${index}`, namespace, name };
    const bad = (rule: RuleId, field: string, message: string, hint: string) =>
      issues.push({ severity: 'invalid', rule, object: ref, field, message, hint });
    if (!isObject(raw)) return bad(RULES.malformed, '', `expected a Kubernetes object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`, 'pass parsed YAML/JSON objects with apiVersion, kind and metadata');
    if (typeof raw.apiVersion !== 'string' || kind === '') return bad(RULES.malformed, typeof raw.apiVersion !== 'string' ? 'apiVersion' : 'kind', 'apiVersion and kind must be strings', 'add apiVersion and kind');
    if (!isObject(raw.metadata) || name === '') return bad(RULES.malformed, 'metadata.name', 'the object has no name', 'set metadata.name');
    const group = raw.apiVersion.includes('/') ? raw.apiVersion.slice(0, raw.apiVersion.indexOf('/')) : '';
    if (group !== 'metallb.io') {
      if (raw.apiVersion !== 'v1') {
        warnings.push({ object: ref, field: '', message: `ignored: ${raw.apiVersion} ${kind} is not configuration` });
        return;
      }
      const labels = strMap(raw.metadata.labels);
      switch (kind) {
        case 'Node':
          inputs.nodes.push({ name, labels });
          return;
        case 'Namespace':
          inputs.namespaces.push({ name, labels });
          return;
        case 'Secret':
          if (namespace === ctxNs) inputs.secrets.set(name, decodeSecret(raw));
          return;
        case 'ConfigMap':
          if (namespace === ctxNs && name === 'bgpextras') inputs.bgpExtras = strMap(raw.data).extras ?? '';
          return;
        default:
          warnings.push({ object: ref, field: '', message: `ignored: v1 ${kind} is not configuration` });
          return;
      }
    }
    if (STATUS_KINDS.has(kind)) return;
    if (!CONFIG_KINDS.has(kind)) return bad(RULES.unsupportedVersion, 'kind', `unknown metallb.io kind ${kind}`, 'use IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer, BFDProfile or Community');
    const schema = SCHEMAS.get(`${raw.apiVersion}/${kind}`);
    if (!schema) {
      const versions = [...SCHEMAS.keys()].filter((k) => k.endsWith(`/${kind}`)).map((k) => k.split('/').slice(0, 2).join('/'));
      return bad(RULES.unsupportedVersion, 'apiVersion', `${raw.apiVersion} does not serve ${kind}`, `use ${versions.join(' or ')}`);
    }
    if (namespace !== ctxNs) {
      warnings.push({ object: ref, field: '', message: `ignored: MetalLB only reads objects in namespace ${ctxNs}` });
      return;
    }
    if ((kind === 'BGPPeer' || kind === 'BGPAdvertisement') && !onNode(raw.spec?.nodeSelectors)) return;
    const key = `${kind}/${name}`;
    if (seen.has(key)) return bad(RULES.duplicateObject, 'metadata.name', `duplicate definition of ${kind} "${name}"`, 'give each object a unique name');
    seen.set(key, index);
    // Status is written by the components, not configuration: its shape never invalidates config.
    const violations = checkSchema({ ...raw, status: undefined }, schema);
    if (violations.length > 0) {
      for (const v of violations) {
        const rule = kind === 'IPAddressPool' && v.path === 'spec.addresses' && v.kind === 'items' && (raw.spec?.addresses?.length ?? 0) === 0 ? RULES.poolNoAddresses : VIOLATION_RULE[v.kind];
        bad(rule, v.path, rule === RULES.poolNoAddresses ? 'pool has no prefixes defined' : v.message, v.hint);
      }
      return;
    }
    // From here on, work on a copy without null fields (kube-apiserver prunes them).
    raw = withoutNulls(raw) as Record<string, any>;
    if (raw.apiVersion === 'metallb.io/v1beta1' && kind === 'BGPPeer') {
      warnings.push({ object: ref, field: 'apiVersion', message: 'metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2' });
    }
    switch (kind) {
      case 'IPAddressPool':
        inputs.pools.push(raw as IPAddressPool);
        break;
      case 'L2Advertisement':
        inputs.l2.push(raw as L2AdvertisementObject);
        break;
      case 'BGPAdvertisement':
        inputs.bgpAdvs.push(raw as BGPAdvertisement);
        break;
      case 'BGPPeer':
        inputs.peers.push(raw.apiVersion === 'metallb.io/v1beta1' ? convertBGPPeerV1beta1(raw as BGPPeerV1beta1) : (raw as BGPPeer));
        break;
      case 'BFDProfile':
        inputs.bfd.push(raw as BFDProfile);
        break;
      case 'Community':
        inputs.communities.push(raw as Community);
        break;
    }
  });
  for (const list of [inputs.pools, inputs.l2, inputs.bgpAdvs, inputs.peers, inputs.bfd, inputs.communities]) list.sort(byName);
  inputs.nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  inputs.namespaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return inputs;
}

/** Native-mode rules (§2.3), relaxed where our native speaker supports more than MetalLB's. */
function nativeRules(ctx: BuildContext, inputs: Inputs): void {
  for (const p of inputs.peers) {
    const ref = ctx.ref('BGPPeer', p.metadata.name);
    const s = p.spec;
    const unsupported: Array<[string, boolean]> = [
      ['bfdProfile', (s.bfdProfile ?? '') !== ''],
      ['vrf', (s.vrf ?? '') !== ''],
      ['interface', (s.interface ?? '') !== ''],
      ['localASN', s.localASN !== undefined],
    ];
    for (const [field, set] of unsupported) {
      if (set) {
        ctx.sink.invalid(RULES.nativeUnsupported, ref, `spec.${field}`, `${field} is not supported by the native BGP speaker`, `remove ${field}, or run with an FRR-based BGP implementation`);
      }
    }
    if (s.disableMP) ctx.sink.warn(ref, 'spec.disableMP', 'disableMP is deprecated and ignored');
  }
  if (inputs.bgpExtras.trim() !== '') {
    ctx.sink.invalid(RULES.nativeUnsupported, { kind: 'ConfigMap', namespace: ctx.namespace, name: 'bgpextras' }, 'data.extras', 'bgp extras are not supported by the native BGP speaker', 'empty the bgpextras ConfigMap');
  }
  for (const b of inputs.bfd) ctx.sink.warn(ctx.ref('BFDProfile', b.metadata.name), '', 'ignored: the native BGP speaker does not run BFD');
}

/** FRR-mode rules (§2.3): peers sharing a node must agree on router ID, identifier and ASN. */
function frrRules(ctx: BuildContext, peers: readonly Peer[]): void {
  for (let i = 0; i < peers.length; i++) {
    for (let j = i + 1; j < peers.length; j++) {
      const a = peers[i]!;
      const b = peers[j]!;
      if (!peersShareNode(ctx, a, b)) continue;
      const ref = ctx.ref('BGPPeer', b.name);
      if ((a.routerID?.toString() ?? '') !== (b.routerID?.toString() ?? '')) {
        ctx.sink.invalid(RULES.frrRouterId, ref, 'spec.routerID', `routerID "${b.routerID ?? ''}" differs from "${a.routerID ?? ''}" of BGPPeer ${a.name} on a common node`, 'use the same routerID on every peer of a node (or none)');
      }
      if (peerIdentifier(a) === peerIdentifier(b)) {
        ctx.sink.invalid(RULES.frrPeerIdentifier, ref, b.address ? 'spec.peerAddress' : 'spec.interface', `peer ${peerIdentifier(b)} is already configured by BGPPeer ${a.name} on a common node`, 'remove one of the two peers, or give them disjoint nodeSelectors');
      }
      if ((a.vrf ?? '') === (b.vrf ?? '') && a.myASN !== b.myASN) {
        ctx.sink.invalid(RULES.frrMyAsn, ref, 'spec.myASN', `myASN ${b.myASN} differs from ${a.myASN} of BGPPeer ${a.name} in the same VRF on a common node`, 'use one local ASN per VRF');
      }
    }
  }
}

/**
 * P10 (our version, quirk 15): two peers with the same address (or interface), port and VRF
 * that can run on a common node are duplicates. MetalLB compares whole objects including their
 * names, which never fires in practice.
 */
function duplicatePeers(ctx: BuildContext, peers: readonly Peer[]): void {
  for (let i = 0; i < peers.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = peers[j]!;
      const b = peers[i]!;
      if (peerIdentifier(a) === peerIdentifier(b) && a.port === b.port && peersShareNode(ctx, a, b)) {
        ctx.sink.invalid(RULES.peerDuplicate, ctx.ref('BGPPeer', b.name), b.address ? 'spec.peerAddress' : 'spec.interface', `duplicate peer: BGPPeer ${a.name} already connects to ${peerIdentifier(b)} port ${b.port} from a common node`, 'delete one of them, or give them disjoint nodeSelectors');
        break;
      }
    }
  }
}

/** Community aliases (C1 for values, C2 for names across objects). */
function communityAliases(ctx: BuildContext, objs: readonly Community[]): Map<string, BgpCommunity> {
  const out = new Map<string, BgpCommunity>();
  const owner = new Map<string, string>();
  for (const o of objs) {
    const ref = ctx.ref('Community', o.metadata.name);
    (o.spec?.communities ?? []).forEach((c, i) => {
      if (owner.has(c.name)) {
        ctx.sink.invalid(RULES.duplicateEntry, ref, `spec.communities[${i}].name`, `duplicate definition of community alias "${c.name}" (already in Community ${owner.get(c.name)})`, 'give each alias a unique name across all Community objects');
        return;
      }
      owner.set(c.name, o.metadata.name);
      const v = parseCommunity(c.value);
      if (isCommunityError(v)) {
        ctx.sink.invalid(RULES.communityValue, ref, `spec.communities[${i}].value`, v.message, 'write "A:B" (0-65535 each) or "large:A:B:C" (0-4294967295 each)');
        return;
      }
      out.set(c.name, v);
    });
  }
  return out;
}

/**
 * Builds the configuration from Kubernetes objects (parsed YAML/JSON; anything else is reported,
 * never thrown). Inputs: metallb.io objects of the MetalLB namespace (both BGPPeer versions),
 * and the v1 Nodes, Namespaces, Secrets and the `bgpextras` ConfigMap they refer to.
 * The controller passes only pools, communities and namespaces (as MetalLB's does).
 *
 * @returns the frozen {@link Config}, or {@link ConfigErrors} listing every problem.
 */
export function buildConfig(objects: readonly unknown[], options: BuildOptions = {}): Config | ConfigErrors {
  try {
    return build(objects, options);
  } catch (err) {
    // Last resort: a bug must not take the caller down, and the last valid config stays in force.
    return new ConfigErrors([{ severity: 'invalid', rule: RULES.malformed, object: { kind: 'input', namespace: '', name: '' }, field: '', message: `internal error while validating: ${(err as Error)?.message ?? String(err)}`, hint: 'report this as a bug, with the objects that caused it' }]);
  }
}

function build(objects: readonly unknown[], options: BuildOptions): Config | ConfigErrors {
  const namespace = options.namespace ?? DEFAULT_BUILD_OPTIONS.namespace;
  const bgpType = options.bgpType ?? DEFAULT_BUILD_OPTIONS.bgpType;
  const issues: ConfigIssue[] = [];
  const warnings: ConfigWarning[] = [];
  const list: readonly unknown[] = Array.isArray(objects) ? objects : [objects];
  let inputs: Inputs;
  try {
    inputs = classify(sortInputs(list), namespace, issues, warnings, nodeFilter(list, options.node, issues));
  } catch (err) {
    // Defensive: no input may crash the pipeline (for example a getter that throws).
    return new ConfigErrors([{ severity: 'invalid', rule: RULES.malformed, object: { kind: 'input', namespace: '', name: '' }, field: '', message: `unreadable input: ${(err as Error).message}`, hint: 'pass plain parsed YAML/JSON objects' }]);
  }
  // The speaker cannot decide anything without its own Node (MetalLB retries the reconcile).
  if (options.node !== undefined && issues.some((i) => i.object.kind === 'Node' && i.object.name === options.node && i.severity === 'transient')) {
    return new ConfigErrors([nodeMissing(options.node)], warnings);
  }
  const ctx = new BuildContext(namespace, bgpType, inputs.nodes, inputs.namespaces, inputs.secrets);
  ctx.sink.issues.push(...issues);
  ctx.sink.warnings.push(...warnings);

  // 1. mode-specific rules on the raw resources
  if (bgpType === 'native') nativeRules(ctx, inputs);

  // 2. BFD profiles (ranges were checked with the schema; duplicates by classify)
  const bfdProfiles = new Map<string, BfdProfile>(inputs.bfd.map((b) => [b.metadata.name, parseBfdProfile(b)]));

  // 3. peers
  const peers: Peer[] = [];
  for (const p of inputs.peers) {
    const parsed = parsePeer(ctx, p, bfdProfiles);
    if (parsed) peers.push(parsed);
  }
  if (bgpType === 'native') duplicatePeers(ctx, peers);
  else frrRules(ctx, peers);

  // 4. communities, pools (then overlap), L2 and BGP advertisements
  const aliases = communityAliases(ctx, inputs.communities);
  const parsedPools: ParsedPool[] = [];
  for (const p of inputs.pools) {
    const parsed = parsePool(ctx, p);
    if (parsed) parsedPools.push(parsed);
  }
  checkOverlaps(ctx, parsedPools);

  const l2ByPool = new Map<string, L2Advertisement[]>(parsedPools.map((p) => [p.name, []]));
  const l2KeysByPool = new Map<string, Set<string>>(parsedPools.map((p) => [p.name, new Set()]));
  const l2Advs = new Map<string, L2Advertisement>();
  for (const o of inputs.l2) {
    const adv = parseL2Advertisement(ctx, o, parsedPools);
    if (!adv) continue;
    l2Advs.set(adv.name, adv);
    const key = l2DedupKey(adv);
    for (const pool of adv.pools) {
      // Equivalent advertisements (same key, see l2Equivalent) are attached once.
      const keys = l2KeysByPool.get(pool)!;
      if (key !== undefined && keys.has(key)) continue;
      if (key !== undefined) keys.add(key);
      l2ByPool.get(pool)!.push(adv);
    }
  }

  const bgpByPool = new Map<string, BgpAdvertisement[]>(parsedPools.map((p) => [p.name, []]));
  const bgpAdvs = new Map<string, BgpAdvertisement>();
  const poolByName = new Map(parsedPools.map((p) => [p.name, p]));
  for (const o of inputs.bgpAdvs) {
    const adv = parseBgpAdvertisement(ctx, o, parsedPools, aliases);
    if (!adv) continue;
    const ref = ctx.ref('BGPAdvertisement', adv.name);
    let ok = true;
    for (const poolName of adv.pools) {
      const pool = poolByName.get(poolName)!;
      const agg = aggregationProblem(adv, pool);
      if (agg) {
        ctx.sink.invalid(RULES.advAggregationTooShort, ref, agg.field, agg.message, agg.hint);
        ok = false;
        continue;
      }
      const attached = bgpByPool.get(poolName)!;
      if (adv.serviceSelectors.length === 0) {
        const fam = poolFamilies(pool);
        const clash = attached.find((other) => other.serviceSelectors.length === 0 && localPrefConflict(other, adv, fam));
        if (clash) {
          ctx.sink.invalid(RULES.advLocalPrefConflict, ref, 'spec.localPref', `localPref ${adv.localPref ?? 0} conflicts with localPref ${clash.localPref ?? 0} of BGPAdvertisement ${clash.name} for IPAddressPool ${poolName}: both announce the same prefixes to the same peers from the same nodes`, 'use the same localPref, or make their peers, nodes or aggregation lengths disjoint');
          ok = false;
          continue;
        }
      }
      attached.push(adv);
    }
    if (ok) bgpAdvs.set(adv.name, adv);
  }

  // 6. cross-object: BFD echo mode vs IPv6 advertisement (P11)
  for (const adv of bgpAdvs.values()) {
    const v6Pools = adv.pools.filter((n) => poolFamilies(poolByName.get(n)!).v6);
    if (v6Pools.length === 0) continue;
    for (const peer of peers) {
      if (adv.peers.length > 0 && !adv.peers.includes(peer.name)) continue;
      const bfd = peer.bfdProfile ? bfdProfiles.get(peer.bfdProfile) : undefined;
      if (bfd?.echoMode) {
        ctx.sink.invalid(RULES.bfdEchoIPv6, ctx.ref('BGPPeer', peer.name), 'spec.bfdProfile', `BFDProfile ${bfd.name} has echoMode, which is not supported with IPv6, and BGPAdvertisement ${adv.name} sends IPv6 pool ${v6Pools[0]} to this peer`, `disable echoMode in ${bfd.name}, or exclude this peer from ${adv.name}`);
      }
    }
  }

  if (ctx.sink.issues.length > 0) return new ConfigErrors(ctx.sink.issues, ctx.sink.warnings);

  const pools = new Map<string, Pool>();
  for (const p of parsedPools) {
    pools.set(p.name, Object.freeze({
      name: p.name,
      labels: p.labels,
      entries: p.entries,
      cidrs: Object.freeze(p.entries.flatMap((e) => e.cidrs)),
      autoAssign: p.autoAssign,
      avoidBuggyIPs: p.avoidBuggyIPs,
      serviceAllocation: p.serviceAllocation,
      l2Advertisements: Object.freeze(l2ByPool.get(p.name)!.map((a) => a.name)),
      bgpAdvertisements: Object.freeze(bgpByPool.get(p.name)!.map((a) => a.name)),
    }));
  }
  return Object.freeze({
    pools,
    peers: new Map(peers.map((p) => [p.name, p])),
    bfdProfiles,
    communities: aliases,
    l2Advertisements: l2Advs,
    bgpAdvertisements: bgpAdvs,
    bgpExtras: inputs.bgpExtras,
    warnings: Object.freeze([...ctx.sink.warnings]),
  });
}

/** Type guard: did {@link buildConfig} reject the configuration? */
export function isConfigErrors(x: Config | ConfigErrors): x is ConfigErrors {
  return x instanceof ConfigErrors;
}
