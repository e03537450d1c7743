/**
 * Every validation rule with a failing and a passing case (§2.2, §2.3 of the behaviour notes).
 * Each row: the objects that break the rule, the issue expected (rule, object, field, severity),
 * and a minimal change that makes the configuration valid.
 */
import { describe, expect, it } from 'vitest';
import { RULES, type BuildOptions, type RuleId, type Severity } from './index.js';
import { bfd, bgpAdv, community, configMap, issuesOf, l2, namespace, node, peer, peerV1, pool, secret } from '../test/fixtures.js';

interface Row {
  /** What the row checks (MetalLB rule id in brackets). */
  name: string;
  rule: RuleId;
  /** Objects breaking the rule. */
  bad: unknown[];
  /** The same configuration, fixed. */
  good: unknown[];
  /** Expected object name and field of the issue. */
  object?: string;
  field?: string;
  severity?: Severity;
  /** A substring of the message. */
  message?: string;
  options?: BuildOptions;
}

const p1 = pool('p1', { addresses: ['198.51.100.0/24'] });
const sel = (labels: Record<string, string>) => ({ matchLabels: labels });

const rows: Row[] = [
  // ---- object shape
  { name: 'not an object', rule: RULES.malformed, bad: [42], good: [], message: 'expected a Kubernetes object' },
  { name: 'no name', rule: RULES.malformed, bad: [{ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {}, spec: { addresses: ['198.51.100.0/24'] } }], good: [p1], field: 'metadata.name' },
  { name: 'no kind', rule: RULES.malformed, bad: [{ apiVersion: 'metallb.io/v1beta1', metadata: { name: 'x' } }], good: [], field: 'kind' },
  { name: 'unknown field (typo)', rule: RULES.unknownField, bad: [pool('p1', { addresses: ['198.51.100.0/24'], autoAsign: false })], good: [pool('p1', { addresses: ['198.51.100.0/24'], autoAssign: false })], object: 'p1', field: 'spec.autoAsign', message: 'is not a known field' },
  { name: 'wrong type', rule: RULES.wrongType, bad: [pool('p1', { addresses: '198.51.100.0/24' })], good: [p1], field: 'spec.addresses', message: 'must be an array' },
  { name: 'required field missing', rule: RULES.missingField, bad: [pool('p1', {})], good: [p1], field: 'spec.addresses' },
  { name: 'number out of range', rule: RULES.outOfRange, bad: [bgpAdv('a', { aggregationLength: 33 })], good: [bgpAdv('a', { aggregationLength: 32 })], field: 'spec.aggregationLength', message: '33 is out of range' },
  { name: 'value not in enum', rule: RULES.badValue, bad: [peer('p', { peerASN: undefined, dynamicASN: 'any' })], good: [peer('p', { peerASN: undefined, dynamicASN: 'external' })], field: 'spec.dynamicASN' },
  { name: 'unsupported version', rule: RULES.unsupportedVersion, bad: [{ ...p1, apiVersion: 'metallb.io/v1beta2' }], good: [p1], field: 'apiVersion', message: 'does not serve IPAddressPool' },
  { name: 'unknown metallb kind', rule: RULES.unsupportedVersion, bad: [{ apiVersion: 'metallb.io/v1beta1', kind: 'Pool', metadata: { name: 'x', namespace: 'metallb-system' } }], good: [], field: 'kind' },
  { name: 'duplicate object (P5)', rule: RULES.duplicateObject, bad: [p1, pool('p1', { addresses: ['203.0.113.0/24'] })], good: [p1, pool('p2', { addresses: ['203.0.113.0/24'] })], field: 'metadata.name', message: 'duplicate definition of IPAddressPool "p1"' },
  // ---- pools
  { name: 'no addresses (P2)', rule: RULES.poolNoAddresses, bad: [pool('p1', { addresses: [] })], good: [p1], field: 'spec.addresses', message: 'pool has no prefixes defined' },
  { name: 'prefix too long, IPv4 (P3)', rule: RULES.poolBadCidr, bad: [pool('p1', { addresses: ['10.0.0.1/33'] })], good: [pool('p1', { addresses: ['10.0.0.1/32'] })], field: 'spec.addresses[0]', message: 'prefix /33 is longer than 32 bits' },
  { name: 'prefix too long, IPv6 (P3)', rule: RULES.poolBadCidr, bad: [pool('p1', { addresses: ['::1/129'] })], good: [pool('p1', { addresses: ['::1/128'] })], field: 'spec.addresses[0]' },
  { name: 'white space around a CIDR (P3)', rule: RULES.poolBadCidr, bad: [pool('p1', { addresses: [' 10.0.0.0/8'] })], good: [pool('p1', { addresses: ['10.0.0.0/8'] })], field: 'spec.addresses[0]' },
  { name: 'not an address (P3)', rule: RULES.poolBadCidr, bad: [pool('p1', { addresses: ['pool.example/24'] })], good: [p1], field: 'spec.addresses[0]' },
  { name: 'reversed range (P4)', rule: RULES.poolBadRange, bad: [pool('p1', { addresses: ['10.0.0.150-10.0.0.101'] })], good: [pool('p1', { addresses: ['10.0.0.101-10.0.0.150'] })], field: 'spec.addresses[0]', message: 'is reversed' },
  { name: 'mixed-family range (P4)', rule: RULES.poolBadRange, bad: [pool('p1', { addresses: ['10.0.0.1-2001:db8::1'] })], good: [pool('p1', { addresses: ['2001:db8::1-2001:db8::9'] })], field: 'spec.addresses[0]', message: 'mixes IPv4 and IPv6' },
  { name: 'range end not an address (P4)', rule: RULES.poolBadRange, bad: [pool('p1', { addresses: ['10.0.0.1-10.0.0.300'] })], good: [pool('p1', { addresses: ['10.0.0.1 - 10.0.0.30'] })], field: 'spec.addresses[0]', message: 'last address' },
  { name: 'overlap across pools (P6)', rule: RULES.poolOverlap, bad: [p1, pool('p2', { addresses: ['198.51.100.128/25'] })], good: [p1, pool('p2', { addresses: ['203.0.113.0/25'] })], object: 'p2', field: 'spec.addresses[0]', message: 'overlaps with already defined CIDR "198.51.100.0/24"' },
  { name: 'overlap inside a pool (P6)', rule: RULES.poolOverlap, bad: [pool('p1', { addresses: ['198.51.100.0/24', '198.51.100.10-198.51.100.20'] })], good: [pool('p1', { addresses: ['198.51.100.0/25', '198.51.100.200-198.51.100.220'] })], field: 'spec.addresses[1]', message: 'of the same pool' },
  { name: 'equal CIDRs after masking (P6)', rule: RULES.poolOverlap, bad: [p1, pool('p2', { addresses: ['198.51.100.7/24'] })], good: [p1, pool('p2', { addresses: ['203.0.113.7/24'] })], object: 'p2' },
  { name: 'duplicate namespaces (P7)', rule: RULES.duplicateEntry, bad: [pool('p1', { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaces: ['a', 'a'] } })], good: [pool('p1', { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaces: ['a', 'b'] } })], field: 'spec.serviceAllocation.namespaces[1]', message: 'duplicate definition in namespaces field' },
  { name: 'semantically duplicate selectors (P7)', rule: RULES.duplicateEntry, bad: [pool('p1', { addresses: ['198.51.100.0/24'], serviceAllocation: { serviceSelectors: [sel({ a: 'b' }), { matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] } })], good: [pool('p1', { addresses: ['198.51.100.0/24'], serviceAllocation: { serviceSelectors: [sel({ a: 'b' }), sel({ a: 'c' })] } })], field: 'spec.serviceAllocation.serviceSelectors[1]' },
  { name: 'In without values (P7, empty selector expression)', rule: RULES.badSelector, bad: [pool('p1', { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaceSelectors: [{ matchExpressions: [{ key: 'team', operator: 'In', values: [] }] }] } })], good: [pool('p1', { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaceSelectors: [{ matchExpressions: [{ key: 'team', operator: 'Exists' }] }] } })], field: 'spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].values', message: 'needs at least one value' },
  { name: 'Exists with values (P7)', rule: RULES.badSelector, bad: [l2('a', { nodeSelectors: [{ matchExpressions: [{ key: 'x', operator: 'Exists', values: ['y'] }] }] })], good: [l2('a', { nodeSelectors: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] })], field: 'spec.nodeSelectors[0].matchExpressions[0].values' },
  { name: 'bad label key (P7)', rule: RULES.badSelector, bad: [l2('a', { nodeSelectors: [sel({ 'bad key': 'x' })] })], good: [l2('a', { nodeSelectors: [sel({ 'good-key': 'x' })] })], message: 'label key name' },
  { name: 'bad label value (P7)', rule: RULES.badValue, field: 'spec.nodeSelectors[0].matchLabels[rack]', bad: [l2('a', { nodeSelectors: [sel({ rack: 'r 1' })] })], good: [l2('a', { nodeSelectors: [sel({ rack: 'r1' })] })] },
  { name: 'duplicate values in an expression (P7)', rule: RULES.badSelector, bad: [l2('a', { nodeSelectors: [{ matchExpressions: [{ key: 'x', operator: 'In', values: ['a', 'a'] }] }] })], good: [l2('a', { nodeSelectors: [{ matchExpressions: [{ key: 'x', operator: 'In', values: ['a', 'b'] }] }] })], message: 'duplicate values' },
  { name: 'duplicate expressions (P7)', rule: RULES.badSelector, bad: [l2('a', { nodeSelectors: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }, { key: 'x', operator: 'Exists' }] }] })], good: [l2('a', { nodeSelectors: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] })], message: 'duplicate match expression' },
  // ---- peers
  { name: 'myASN 0 (P8)', rule: RULES.outOfRange, bad: [peer('p', { myASN: 0 })], good: [peer('p')], field: 'spec.myASN' },
  { name: 'neither peerASN nor dynamicASN (P8)', rule: RULES.peerAsn, bad: [peer('p', { peerASN: undefined })], good: [peer('p')], field: 'spec.peerASN' },
  { name: 'peerASN 0 counts as unset (P8)', rule: RULES.peerAsn, bad: [peer('p', { peerASN: 0 })], good: [peer('p', { peerASN: 0, dynamicASN: 'internal' })], field: 'spec.peerASN' },
  { name: 'both peerASN and dynamicASN (P8)', rule: RULES.peerAsn, bad: [peer('p', { dynamicASN: 'internal' })], good: [peer('p', { peerASN: undefined, dynamicASN: 'internal' })], field: 'spec.dynamicASN' },
  { name: 'ebgpMultiHop on iBGP (P8)', rule: RULES.peerMultihop, bad: [peer('p', { peerASN: 64500, ebgpMultiHop: true })], good: [peer('p', { ebgpMultiHop: true })], field: 'spec.ebgpMultiHop' },
  { name: 'neither address nor interface (P8)', rule: RULES.peerAddress, bad: [peer('p', { peerAddress: undefined })], good: [peer('p')], field: 'spec.peerAddress', message: 'neither' },
  { name: 'address and interface (P8)', rule: RULES.peerAddress, bad: [peer('p', { interface: 'eth0' })], good: [peer('p', { peerAddress: undefined, interface: 'eth0' })], field: 'spec.interface', options: { bgpType: 'frr' } },
  { name: 'bad peerAddress (P8)', rule: RULES.peerAddress, bad: [peer('p', { peerAddress: '198.51.100.256' })], good: [peer('p', { peerAddress: '2001:db8::1' })], field: 'spec.peerAddress' },
  { name: 'bad sourceAddress (P8)', rule: RULES.peerAddress, bad: [peer('p', { sourceAddress: 'eth0' })], good: [peer('p', { sourceAddress: '198.51.100.2' })], field: 'spec.sourceAddress' },
  { name: 'routerID not IPv4', rule: RULES.peerAddress, bad: [peer('p', { routerID: '2001:db8::1' })], good: [peer('p', { routerID: '198.51.100.2' })], field: 'spec.routerID', message: '32 bits' },
  { name: 'hold time under 3s (timers)', rule: RULES.peerTimers, bad: [peer('p', { holdTime: '2s' })], good: [peer('p', { holdTime: '3s' })], field: 'spec.holdTime', message: 'must be 0s or at least 3s' },
  { name: 'hold 3.5s truncates to 3s (timers)', rule: RULES.peerTimers, bad: [peer('p', { holdTime: '2999ms' })], good: [peer('p', { holdTime: '3500ms' })], field: 'spec.holdTime' },
  { name: 'keepalive only: hold = 3K must be ≥ 3s (timers)', rule: RULES.peerTimers, bad: [peer('p', { keepaliveTime: '500ms' })], good: [peer('p', { keepaliveTime: '1s' })], field: 'spec.keepaliveTime' },
  { name: 'keepalive over hold (timers)', rule: RULES.peerTimers, bad: [peer('p', { holdTime: '9s', keepaliveTime: '10s' })], good: [peer('p', { holdTime: '9s', keepaliveTime: '3s' })], field: 'spec.keepaliveTime' },
  { name: 'hold time not a duration', rule: RULES.badValue, bad: [peer('p', { holdTime: '90' })], good: [peer('p', { holdTime: '90s' })], field: 'spec.holdTime' },
  { name: 'connectTime not whole seconds', rule: RULES.peerTimers, bad: [peer('p', { connectTime: '1500ms' })], good: [peer('p', { connectTime: '2s' })], field: 'spec.connectTime' },
  { name: 'connectTime over 65535s', rule: RULES.peerTimers, bad: [peer('p', { connectTime: '18h13m' })], good: [peer('p', { connectTime: '18h12m15s' })], field: 'spec.connectTime' },
  { name: 'password and passwordSecret (P8)', rule: RULES.peerPassword, bad: [peer('p', { password: 'x', passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })], good: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })], field: 'spec.passwordSecret' },
  { name: 'secret not found (P9, transient)', rule: RULES.peerSecretMissing, severity: 'transient', bad: [peer('p', { passwordSecret: { name: 's' } })], good: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })], field: 'spec.passwordSecret.name', message: 'secret metallb-system/s not found' },
  { name: 'secret in another namespace is not seen (P9)', rule: RULES.peerSecretMissing, severity: 'transient', bad: [peer('p', { passwordSecret: { name: 's' } }), { ...secret('s', 'kubernetes.io/basic-auth', { password: 'y' }), metadata: { name: 's', namespace: 'default' } }], good: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })] },
  { name: 'secret of the wrong type (P8)', rule: RULES.peerSecretInvalid, bad: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'Opaque', { password: 'y' })], good: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })], message: 'not kubernetes.io/basic-auth' },
  { name: 'secret without password key (P8)', rule: RULES.peerSecretInvalid, bad: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { username: 'y' })], good: [peer('p', { passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { username: 'u', password: 'y' })], message: 'no "password" key' },
  { name: 'BFD profile not found (P9, transient)', rule: RULES.peerBfdMissing, severity: 'transient', bad: [peer('p', { bfdProfile: 'fast' })], good: [peer('p', { bfdProfile: 'fast' }), bfd('fast')], field: 'spec.bfdProfile', options: { bgpType: 'frr' } },
  { name: 'duplicate peer (P10, our version)', rule: RULES.peerDuplicate, bad: [peer('a'), peer('b')], good: [peer('a'), peer('b', { peerPort: 1179 })], object: 'b', field: 'spec.peerAddress' },
  { name: 'duplicate peer only on a common node (P10)', rule: RULES.peerDuplicate, bad: [node('n1', { rack: 'r1' }), peer('a', { nodeSelectors: [sel({ rack: 'r1' })] }), peer('b')], good: [node('n1', { rack: 'r1' }), node('n2', { rack: 'r2' }), peer('a', { nodeSelectors: [sel({ rack: 'r1' })] }), peer('b', { nodeSelectors: [sel({ rack: 'r2' })] })], object: 'b' },
  { name: 'BFD echo mode with IPv6 advertisement (P11)', rule: RULES.bfdEchoIPv6, options: { bgpType: 'frr' }, bad: [bfd('echo', { echoMode: true }), peer('p', { bfdProfile: 'echo' }), pool('v6', { addresses: ['2001:db8::/120'] }), bgpAdv('a')], good: [bfd('echo', { echoMode: false }), peer('p', { bfdProfile: 'echo' }), pool('v6', { addresses: ['2001:db8::/120'] }), bgpAdv('a')], object: 'p', field: 'spec.bfdProfile' },
  { name: 'BFD ranges', rule: RULES.outOfRange, bad: [bfd('b', { detectMultiplier: 1 })], good: [bfd('b', { detectMultiplier: 2 })], field: 'spec.detectMultiplier' },
  { name: 'duplicate BFD profile', rule: RULES.duplicateObject, bad: [bfd('b'), bfd('b')], good: [bfd('b'), bfd('c')] },
  // ---- communities
  { name: 'alias value, 2 parts out of range (C1)', rule: RULES.communityValue, bad: [community('c', [['x', '99999999:1']])], good: [community('c', [['x', '65535:1']])], field: 'spec.communities[0].value' },
  { name: 'alias value, 3 parts (C1 format)', rule: RULES.communityValue, bad: [community('c', [['x', '1:2:3']])], good: [community('c', [['x', 'large:1:2:3']])], field: 'spec.communities[0].value' },
  { name: 'duplicate alias across objects (C2)', rule: RULES.duplicateEntry, bad: [community('a', [['x', '1:1']]), community('b', [['x', '1:2']])], good: [community('a', [['x', '1:1']]), community('b', [['y', '1:2']])], object: 'b', field: 'spec.communities[0].name' },
  { name: 'community value error in advertisement (C3, fatal)', rule: RULES.communityValue, bad: [p1, bgpAdv('a', { communities: ['foo:bar'] })], good: [p1, bgpAdv('a', { communities: ['1:2'] })], field: 'spec.communities[0]' },
  // Regression (issue 14 §5): an unknown marker is MetalLB's value error, fatal, not a pending alias lookup.
  { name: 'unknown large-community marker in advertisement (C1, fatal)', rule: RULES.communityValue, bad: [p1, bgpAdv('a', { communities: ['larg:1:2:3'] })], good: [p1, bgpAdv('a', { communities: ['large:1:2:3'] })], field: 'spec.communities[0]', message: 'invalid marker for large community' },
  { name: 'unknown large-community marker in an alias value (C1)', rule: RULES.communityValue, bad: [community('c', [['x', 'larg:1:2:3']])], good: [community('c', [['x', 'large:1:2:3']])], field: 'spec.communities[0].value', message: 'invalid marker for large community' },
  { name: 'unknown alias in advertisement (C3, transient)', rule: RULES.communityAliasMissing, severity: 'transient', bad: [p1, bgpAdv('a', { communities: ['no-export'] })], good: [p1, bgpAdv('a', { communities: ['no-export'] }), community('c', [['no-export', '65535:65281']])], field: 'spec.communities[0]' },
  { name: 'duplicate community in advertisement (C4)', rule: RULES.duplicateEntry, bad: [p1, bgpAdv('a', { communities: ['1:1', '1:1'] })], good: [p1, bgpAdv('a', { communities: ['1:1', '1:2'] })], field: 'spec.communities[1]' },
  // ---- advertisements
  { name: 'duplicate pool names (A1)', rule: RULES.duplicateEntry, bad: [p1, l2('a', { ipAddressPools: ['p1', 'p1'] })], good: [p1, l2('a', { ipAddressPools: ['p1'] })], field: 'spec.ipAddressPools[1]' },
  { name: 'duplicate peers (A1)', rule: RULES.duplicateEntry, bad: [p1, bgpAdv('a', { peers: ['x', 'x'] })], good: [p1, bgpAdv('a', { peers: ['x', 'y'] })], field: 'spec.peers[1]' },
  { name: 'duplicate node selectors (A1)', rule: RULES.duplicateEntry, bad: [p1, bgpAdv('a', { nodeSelectors: [{}, {}] })], good: [p1, bgpAdv('a', { nodeSelectors: [{}] })], field: 'spec.nodeSelectors[1]' },
  { name: 'aggregationLengthV6 over 128 (A3)', rule: RULES.outOfRange, bad: [bgpAdv('a', { aggregationLengthV6: 129 })], good: [bgpAdv('a', { aggregationLengthV6: 128 })], field: 'spec.aggregationLengthV6' },
  { name: 'serviceSelectors with aggregation (A4)', rule: RULES.advSelectorsAggregation, bad: [p1, bgpAdv('a', { aggregationLength: 24, serviceSelectors: [sel({ app: 'web' })] })], good: [p1, bgpAdv('a', { aggregationLength: 32, serviceSelectors: [sel({ app: 'web' })] })], field: 'spec.aggregationLength' },
  { name: 'aggregation shorter than a pool CIDR (A5)', rule: RULES.advAggregationTooShort, bad: [pool('p', { addresses: ['10.20.30.40/24', '1.2.3.0/28'] }), bgpAdv('a', { aggregationLength: 26 })], good: [pool('p', { addresses: ['10.20.30.40/24', '1.2.3.0/28'] }), bgpAdv('a', { aggregationLength: 28 })], field: 'spec.aggregationLength', message: 'must be at least 28' },
  { name: 'aggregation vs the widest CIDR of a range (A5)', rule: RULES.advAggregationTooShort, bad: [pool('p', { addresses: ['3.3.3.2-3.3.3.254'] }), bgpAdv('a', { aggregationLength: 24 })], good: [pool('p', { addresses: ['3.3.3.2-3.3.3.254'] }), bgpAdv('a', { aggregationLength: 26 })] },
  { name: 'IPv6 aggregation names the IPv6 length (A5, quirk 22 fixed)', rule: RULES.advAggregationTooShort, bad: [pool('p', { addresses: ['2001:db8::/64'] }), bgpAdv('a', { aggregationLengthV6: 48 })], good: [pool('p', { addresses: ['2001:db8::/64'] }), bgpAdv('a', { aggregationLengthV6: 64 })], field: 'spec.aggregationLengthV6', message: 'invalid aggregation length 48' },
  { name: 'LOCAL_PREF conflict (A6)', rule: RULES.advLocalPrefConflict, bad: [node('n1'), p1, bgpAdv('a', { localPref: 100 }), bgpAdv('b', { localPref: 200 })], good: [node('n1'), p1, bgpAdv('a', { localPref: 100 }), bgpAdv('b', { localPref: 200, aggregationLength: 25 })], object: 'b', field: 'spec.localPref' },
  { name: 'LOCAL_PREF conflict only with overlapping peers (A6)', rule: RULES.advLocalPrefConflict, bad: [node('n1'), p1, bgpAdv('a', { localPref: 100, peers: ['x'] }), bgpAdv('b', { localPref: 200 })], good: [node('n1'), p1, bgpAdv('a', { localPref: 100, peers: ['x'] }), bgpAdv('b', { localPref: 200, peers: ['y'] })], object: 'b' },
  // ---- modes
  { name: 'native: bfdProfile on a peer', rule: RULES.nativeUnsupported, bad: [bfd('f'), peer('p', { bfdProfile: 'f' })], good: [bfd('f'), peer('p')], field: 'spec.bfdProfile' },
  { name: 'native: vrf', rule: RULES.nativeUnsupported, bad: [peer('p', { vrf: 'red' })], good: [peer('p')], field: 'spec.vrf' },
  { name: 'native: BGP unnumbered interface', rule: RULES.nativeUnsupported, bad: [peer('p', { peerAddress: undefined, interface: 'eth0' })], good: [peer('p')], field: 'spec.interface' },
  { name: 'native: localASN', rule: RULES.nativeUnsupported, bad: [peer('p', { localASN: 64999 })], good: [peer('p')], field: 'spec.localASN' },
  { name: 'native: bgp extras', rule: RULES.nativeUnsupported, bad: [configMap('bgpextras', { extras: 'router bgp 1' })], good: [configMap('bgpextras', { extras: '' })], field: 'data.extras' },
  { name: 'frr: routerID must agree on a node', rule: RULES.frrRouterId, options: { bgpType: 'frr' }, bad: [peer('a', { routerID: '198.51.100.9' }), peer('b', { peerAddress: '198.51.100.2' })], good: [peer('a', { routerID: '198.51.100.9' }), peer('b', { peerAddress: '198.51.100.2', routerID: '198.51.100.9' })], object: 'b' },
  { name: 'frr: same peer twice on a node', rule: RULES.frrPeerIdentifier, options: { bgpType: 'frr-k8s' }, bad: [peer('a'), peer('b')], good: [peer('a'), peer('b', { vrf: 'red' })], object: 'b' },
  { name: 'frr: myASN per VRF', rule: RULES.frrMyAsn, options: { bgpType: 'frr' }, bad: [peer('a'), peer('b', { peerAddress: '198.51.100.2', myASN: 64510 })], good: [peer('a'), peer('b', { peerAddress: '198.51.100.2', myASN: 64510, vrf: 'red' })], object: 'b', field: 'spec.myASN' },
];

describe('validation rules: failing and passing cases', () => {
  for (const row of rows) {
    describe(row.name, () => {
      it(`fails with ${row.rule}`, () => {
        const issues = issuesOf(row.bad, row.options);
        const hit = issues.find((i) => i.rule === row.rule);
        expect(hit, `issues were:\n${issues.map((i) => `${i.rule} ${i.object.name} ${i.field}: ${i.message}`).join('\n')}`).toBeDefined();
        expect(hit!.severity).toBe(row.severity ?? 'invalid');
        if (row.object) expect(hit!.object.name).toBe(row.object);
        if (row.field) expect(hit!.field).toBe(row.field);
        if (row.message) expect(hit!.message).toContain(row.message);
        expect(hit!.hint.length).toBeGreaterThan(0);
      });
      it('passes once fixed', () => {
        expect(issuesOf(row.good, row.options)).toEqual([]);
      });
    });
  }

  it('covers every rule id', () => {
    const covered = new Set(rows.map((r) => r.rule));
    expect(Object.values(RULES).filter((r) => !covered.has(r))).toEqual([]);
  });
});

describe('v1beta1 peers follow the same rules after conversion', () => {
  it('rejects a bad v1beta1 hold time and accepts a good one', () => {
    expect(issuesOf([peerV1('p', { holdTime: '1s' })]).map((i) => i.rule)).toEqual([RULES.peerTimers]);
    expect(issuesOf([peerV1('p', { holdTime: '90s' })])).toEqual([]);
  });
  it('rejects a v1beta1 field that only v1beta2 has', () => {
    expect(issuesOf([peerV1('p', { dynamicASN: 'internal' })]).map((i) => [i.rule, i.field])).toEqual([[RULES.unknownField, 'spec.dynamicASN']]);
  });
});

describe('namespaces', () => {
  it('ignores metallb.io objects outside the MetalLB namespace, with a warning', () => {
    const other = { ...pool('x', { addresses: ['bad'] }), metadata: { name: 'x', namespace: 'default' } };
    const r = issuesOf([other]);
    expect(r).toEqual([]);
  });
  it('reads another namespace when configured', () => {
    const other = { ...pool('x', { addresses: ['bad'] }), metadata: { name: 'x', namespace: 'lb' } };
    expect(issuesOf([other], { namespace: 'lb' }).map((i) => i.rule)).toEqual([RULES.poolBadCidr]);
  });
  it('uses Namespace objects for namespaceSelectors', () => {
    expect(issuesOf([namespace('a', { team: 'a' }), pool('p', { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaceSelectors: [sel({ team: 'a' })] } })])).toEqual([]);
  });
});
