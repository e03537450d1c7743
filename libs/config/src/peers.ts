/**
 * BGPPeer rules (§2.2 P8-P10, §1.5 timers) and BFDProfile parsing, plus the v1beta1 → v1beta2
 * conversion.
 */
import { IPAddress } from '@metallb-ts/netaddr';
import type { BfdProfile, Peer } from './config.js';
import type { BuildContext } from './context.js';
import { formatDuration, parseDuration } from './duration.js';
import { RULES, type ObjectRef } from './errors.js';
import { selectorListAllows, type LabelSelector } from '@metallb-ts/labels';
import type { BFDProfile, BGPPeer, BGPPeerV1beta1 } from './types.js';

/**
 * Converts a v1beta1 BGPPeer to v1beta2 the way our CRD does (strategy None): same fields, the
 * legacy node selector taken as a LabelSelector. Unlike MetalLB (quirk 19) absent timers stay
 * absent. `peerPort: 0` is dropped (means 179).
 */
export function convertBGPPeerV1beta1(obj: BGPPeerV1beta1): BGPPeer {
  const { nodeSelectors, peerPort, ...rest } = obj.spec;
  const spec: BGPPeer['spec'] = { ...rest };
  if (peerPort !== undefined && peerPort !== 0) spec.peerPort = peerPort;
  if (nodeSelectors) spec.nodeSelectors = nodeSelectors.map((s) => ({ ...s }) as LabelSelector);
  return { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: obj.metadata, spec };
}

/** Hold/keepalive after MetalLB's `parseTimers`, or the problem. */
export type TimerResult =
  | { readonly holdTimeMs: number | undefined; readonly keepaliveTimeMs: number | undefined }
  | { readonly error: string; readonly field: 'spec.holdTime' | 'spec.keepaliveTime'; readonly hint: string };

/**
 * MetalLB's timer rule: neither set → both unset; only hold H → keepalive H/3; only keepalive K
 * → hold 3K; hold truncated to whole seconds must be 0 or ≥ 3 s; keepalive must not exceed hold.
 * Values are milliseconds; the hold time is truncated to whole seconds (BGP carries seconds).
 */
export function resolveTimers(holdMs: number | undefined, keepaliveMs: number | undefined): TimerResult {
  if (holdMs === undefined && keepaliveMs === undefined) return { holdTimeMs: undefined, keepaliveTimeMs: undefined };
  let hold = holdMs ?? 3 * keepaliveMs!;
  const keepalive = keepaliveMs ?? hold / 3;
  hold = Math.trunc(hold / 1000) * 1000;
  if (hold !== 0 && hold < 3000) {
    return {
      field: holdMs === undefined ? 'spec.keepaliveTime' : 'spec.holdTime',
      error: `invalid hold time ${formatDuration(hold)}: must be 0s or at least 3s`,
      hint: 'set holdTime to 0s (no keepalives) or to 3s or more',
    };
  }
  if (keepalive > (holdMs ?? hold)) {
    return {
      field: 'spec.keepaliveTime',
      error: `keepalive time ${formatDuration(keepalive)} is greater than hold time ${formatDuration(holdMs ?? hold)}`,
      hint: 'make keepaliveTime at most holdTime (usually a third of it)',
    };
  }
  return { holdTimeMs: hold, keepaliveTimeMs: keepalive };
}

function ip(ctx: BuildContext, ref: ObjectRef, field: string, text: string | undefined, v4only = false): IPAddress | undefined | null {
  if (text === undefined || text === '') return undefined;
  const a = IPAddress.tryParse(text);
  if (!a) {
    ctx.sink.invalid(RULES.peerAddress, ref, field, `"${text}" is not a valid IP address`, 'write an IPv4 or IPv6 address without prefix or zone');
    return null;
  }
  if (v4only && !a.isV4) {
    ctx.sink.invalid(RULES.peerAddress, ref, field, `"${text}" is not an IPv4 address; the BGP identifier is 32 bits`, 'use an IPv4 address as routerID, even on IPv6 sessions');
    return null;
  }
  return a;
}

/** Per-peer rules; returns undefined when the peer is invalid. Transient problems are reported too. */
export function parsePeer(ctx: BuildContext, obj: BGPPeer, bfdProfiles: ReadonlyMap<string, BfdProfile>): Peer | undefined {
  const ref = ctx.ref('BGPPeer', obj.metadata.name);
  const before = ctx.sink.count;
  const s = obj.spec;
  if (s.myASN === 0) ctx.sink.invalid(RULES.peerAsn, ref, 'spec.myASN', 'missing local ASN (myASN is 0)', 'set myASN to the AS number of the cluster');
  const peerASN = s.peerASN ?? 0;
  if (peerASN === 0 && s.dynamicASN === undefined) {
    ctx.sink.invalid(RULES.peerAsn, ref, 'spec.peerASN', 'neither peerASN nor dynamicASN is set', 'set peerASN to the router\'s AS number, or dynamicASN to internal/external');
  }
  if (peerASN !== 0 && s.dynamicASN !== undefined) {
    ctx.sink.invalid(RULES.peerAsn, ref, 'spec.dynamicASN', 'peerASN and dynamicASN are both set', 'keep only one of them');
  }
  if (peerASN !== 0 && peerASN === s.myASN && s.ebgpMultiHop) {
    ctx.sink.invalid(RULES.peerMultihop, ref, 'spec.ebgpMultiHop', `ebgpMultiHop is set on an iBGP session (peerASN = myASN = ${peerASN})`, 'remove ebgpMultiHop, or fix the ASNs');
  }
  const hasAddr = (s.peerAddress ?? '') !== '';
  const hasIf = (s.interface ?? '') !== '';
  if (hasAddr === hasIf) {
    ctx.sink.invalid(
      RULES.peerAddress,
      ref,
      hasAddr ? 'spec.interface' : 'spec.peerAddress',
      hasAddr ? 'peerAddress and interface are both set' : 'neither peerAddress nor interface is set',
      'set exactly one of peerAddress (an IP) and interface (BGP unnumbered)',
    );
  }
  const address = ip(ctx, ref, 'spec.peerAddress', s.peerAddress);
  const sourceAddress = ip(ctx, ref, 'spec.sourceAddress', s.sourceAddress);
  const routerID = ip(ctx, ref, 'spec.routerID', s.routerID, true);
  const hold = s.holdTime === undefined ? undefined : parseDuration(s.holdTime);
  const keepalive = s.keepaliveTime === undefined ? undefined : parseDuration(s.keepaliveTime);
  const connect = s.connectTime === undefined ? undefined : parseDuration(s.connectTime);
  for (const [field, text, v] of [['spec.holdTime', s.holdTime, hold], ['spec.keepaliveTime', s.keepaliveTime, keepalive], ['spec.connectTime', s.connectTime, connect]] as const) {
    if (text !== undefined && v === undefined) {
      ctx.sink.invalid(RULES.peerTimers, ref, field, `"${text}" is not a duration`, 'write a duration such as 90s, 1m30s or 300ms');
    }
  }
  let timers: TimerResult = { holdTimeMs: undefined, keepaliveTimeMs: undefined };
  if ((s.holdTime === undefined || hold !== undefined) && (s.keepaliveTime === undefined || keepalive !== undefined)) {
    timers = resolveTimers(hold, keepalive);
    if ('error' in timers) ctx.sink.invalid(RULES.peerTimers, ref, timers.field, timers.error, timers.hint);
  }
  if (connect !== undefined && (connect % 1000 !== 0 || connect < 1000 || connect > 65535 * 1000)) {
    ctx.sink.invalid(RULES.peerTimers, ref, 'spec.connectTime', `connect time ${s.connectTime} is not a whole number of seconds from 1s to 65535s`, 'use whole seconds, e.g. 10s');
  }
  const nodeSelectors = ctx.selectors(ref, 'spec.nodeSelectors', s.nodeSelectors);

  // Password: inline or from a Secret of the MetalLB namespace (P8, P9).
  let password: string | undefined;
  let passwordSource: Peer['passwordSource'] = 'none';
  const secretName = s.passwordSecret?.name ?? '';
  if ((s.password ?? '') !== '' && secretName !== '') {
    ctx.sink.invalid(RULES.peerPassword, ref, 'spec.passwordSecret', 'password and passwordSecret are both set', 'keep only one of them');
  } else if ((s.password ?? '') !== '') {
    password = s.password;
    passwordSource = 'inline';
  } else if (secretName !== '') {
    if (s.passwordSecret?.namespace && s.passwordSecret.namespace !== ctx.namespace) {
      ctx.sink.warn(ref, 'spec.passwordSecret.namespace', `ignored: the secret is always read from namespace ${ctx.namespace}`);
    }
    const secret = ctx.secrets.get(secretName);
    if (!secret) {
      ctx.sink.transient(RULES.peerSecretMissing, ref, 'spec.passwordSecret.name', `secret ${ctx.namespace}/${secretName} not found`, `create the Secret ${secretName} (type kubernetes.io/basic-auth, key "password") in ${ctx.namespace}`);
    } else if (secret.type !== 'kubernetes.io/basic-auth') {
      ctx.sink.invalid(RULES.peerSecretInvalid, ref, 'spec.passwordSecret.name', `secret ${secretName} has type "${secret.type ?? ''}", not kubernetes.io/basic-auth`, 'recreate the Secret with type kubernetes.io/basic-auth');
    } else if (!secret.values.has('password')) {
      ctx.sink.invalid(RULES.peerSecretInvalid, ref, 'spec.passwordSecret.name', `secret ${secretName} has no "password" key`, 'add the key "password" to the Secret');
    } else {
      password = secret.values.get('password');
      passwordSource = 'secret';
    }
  }
  // BFD profile reference (P9): transient when missing (creation order).
  if ((s.bfdProfile ?? '') !== '' && !bfdProfiles.has(s.bfdProfile!)) {
    ctx.sink.transient(RULES.peerBfdMissing, ref, 'spec.bfdProfile', `BFDProfile ${s.bfdProfile} not found`, `create BFDProfile ${s.bfdProfile} in ${ctx.namespace} or remove the reference`);
  }
  if (ctx.sink.count > before || !nodeSelectors || 'error' in timers || address === null || sourceAddress === null || routerID === null) {
    return undefined;
  }
  return Object.freeze({
    name: obj.metadata.name,
    myASN: s.myASN,
    peerASN,
    dynamicASN: s.dynamicASN,
    localASN: s.localASN,
    address,
    interface: hasIf ? s.interface : undefined,
    sourceAddress,
    port: s.peerPort && s.peerPort !== 0 ? s.peerPort : 179,
    holdTimeMs: timers.holdTimeMs,
    keepaliveTimeMs: timers.keepaliveTimeMs,
    connectTimeMs: connect,
    routerID,
    nodeSelectors: Object.freeze(nodeSelectors),
    password,
    passwordSource,
    bfdProfile: (s.bfdProfile ?? '') === '' ? undefined : s.bfdProfile,
    ebgpMultiHop: s.ebgpMultiHop ?? false,
    enableGracefulRestart: s.enableGracefulRestart ?? false,
    vrf: (s.vrf ?? '') === '' ? undefined : s.vrf,
    dualStackAddressFamily: s.dualStackAddressFamily ?? false,
    disableMP: s.disableMP ?? false,
  });
}

/** Whether two peers can run on a common node (if no nodes are known, assume they can). */
export function peersShareNode(ctx: BuildContext, a: { nodeSelectors: readonly LabelSelector[] }, b: { nodeSelectors: readonly LabelSelector[] }): boolean {
  if (ctx.nodes.length === 0) return true;
  return ctx.nodes.some((n) => selectorListAllows(a.nodeSelectors, n.labels) && selectorListAllows(b.nodeSelectors, n.labels));
}

/** The session identifier: address or interface, with `-<vrf>` when a VRF is set. */
export function peerIdentifier(p: Peer): string {
  const id = p.address?.toString() ?? p.interface ?? '';
  return p.vrf ? `${id}-${p.vrf}` : id;
}

/** Parses a BFDProfile (ranges were checked by the schema). */
export function parseBfdProfile(obj: BFDProfile): BfdProfile {
  const s = obj.spec ?? {};
  return Object.freeze({
    name: obj.metadata.name,
    receiveInterval: s.receiveInterval,
    transmitInterval: s.transmitInterval,
    detectMultiplier: s.detectMultiplier,
    echoInterval: s.echoInterval,
    echoMode: s.echoMode ?? false,
    passiveMode: s.passiveMode ?? false,
    minimumTtl: s.minimumTtl,
  });
}
