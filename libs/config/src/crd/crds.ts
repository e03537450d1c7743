/**
 * The metallb.io CustomResourceDefinitions, as data. `deploy/crds/*.yaml` is rendered from this
 * (see `crds-generated.spec.ts`); the YAML files are what kubectl and apiserver-lite load.
 *
 * Every rule that concerns one object alone is expressed here (schema keywords or
 * `x-kubernetes-validations` CEL), so applying configuration never depends on a webhook.
 * Kubernetes-specific CEL functions used: see deploy/README.md, "CEL functions used".
 */
import {
  AGE,
  DURATION_RE,
  arr,
  bool,
  condition,
  int,
  labelSelector,
  nameList,
  noDuplicates,
  obj,
  selectorList,
  str,
  uint32,
  type PrinterColumn,
  type Rule,
  type Schema,
} from './schema-builders.js';

/** One served version of a CRD. */
export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema: { openAPIV3Schema: Schema };
  subresources: { status: Record<string, never> };
  additionalPrinterColumns: PrinterColumn[];
}

/** A CustomResourceDefinition (apiextensions.k8s.io/v1), reduced to the fields we set. */
export interface Crd {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: 'metallb.io';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    conversion?: { strategy: 'None' };
    versions: CrdVersion[];
  };
}

const GROUP = 'metallb.io';

/** Wraps a spec and status schema into the root schema of a kind. */
function root(description: string, spec: Schema | undefined, status: Schema | undefined, required?: string[]): Schema {
  const properties: Record<string, Schema> = {
    apiVersion: str(
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
    ),
    kind: str('Kind is a string value representing the REST resource this object represents. In CamelCase.'),
    metadata: { type: 'object' },
  };
  if (spec) properties.spec = spec;
  if (status) properties.status = status;
  return obj(description, properties, required ? { required } : {});
}

function crd(
  kind: string,
  plural: string,
  shortNames: string[],
  versions: CrdVersion[],
  conversion?: { strategy: 'None' },
): Crd {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'metallb-ts' } },
    spec: {
      group: GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames, categories: ['metallb'] },
      scope: 'Namespaced',
      ...(conversion ? { conversion } : {}),
      versions,
    },
  };
}

function version(name: string, schema: Schema, columns: PrinterColumn[], storage = true): CrdVersion {
  return {
    name,
    served: true,
    storage,
    schema: { openAPIV3Schema: schema },
    subresources: { status: {} },
    additionalPrinterColumns: [...columns, AGE],
  };
}

/** An unused, empty status object (MetalLB declares a status sub-resource on every kind). */
const emptyStatus = (kind: string): Schema => ({ type: 'object', description: `${kind}Status is unused.` });

// ---------------------------------------------------------------------------------------------
// CEL snippets

/** `v` (a CEL string expression) is a legacy `A:B` (uint16 parts) or large `large:A:B:C` (uint32 parts) community. */
function communityValue(v: string): string {
  const parts = `${v}.split(':')`;
  const u = (p: string, max: number) => `(${p}.matches('^[0-9]{1,10}$') && int(${p}) <= ${max})`;
  return (
    `(${parts}.size() == 2 && ${u(`${parts}[0]`, 65535)} && ${u(`${parts}[1]`, 65535)}) || ` +
    `(${parts}.size() == 4 && ${parts}[0] == 'large' && ${u(`${parts}[1]`, 4294967295)} && ${u(`${parts}[2]`, 4294967295)} && ${u(`${parts}[3]`, 4294967295)})`
  );
}

const COMMUNITY_MESSAGE =
  'must be a standard community "A:B" (each part 0-65535) or a large community "large:A:B:C" (each part 0-4294967295)';

const ADDRESS_RULE: Rule = {
  rule:
    "isCIDR(self) || (self.split('-').size() == 2 && isIP(self.split('-')[0].trim()) && isIP(self.split('-')[1].trim()) && " +
    "ip(self.split('-')[0].trim()).family() == ip(self.split('-')[1].trim()).family())",
  message:
    'each address must be a CIDR such as 198.51.100.0/24 or 2001:db8::/64, or a range of two addresses of the same family such as 198.51.100.10-198.51.100.20',
};

const immutable = (field: string): Rule => ({ rule: 'self == oldSelf', message: `${field} is immutable` });

// ---------------------------------------------------------------------------------------------
// IPAddressPool

const ipAddressPool = crd('IPAddressPool', 'ipaddresspools', ['ipp'], [
  version(
    'v1beta1',
    root(
      'IPAddressPool represents a pool of IP addresses that can be allocated to LoadBalancer services.',
      obj(
        'IPAddressPoolSpec defines the desired state of IPAddressPool.',
        {
          addresses: arr(
            'A list of IP address ranges over which MetalLB has authority. You can list multiple ranges in a single pool, they will all share the same settings. Each range can be either a CIDR prefix, or an explicit start-end range of IPs.',
            str('A CIDR (host bits are masked away) or a range "first-last" of the same family.', {
              minLength: 1,
              maxLength: 128,
              'x-kubernetes-validations': [ADDRESS_RULE],
            }),
            { minItems: 1, maxItems: 1024, 'x-kubernetes-list-type': 'atomic' },
          ),
          autoAssign: bool(
            'AutoAssign flag used to prevent MetalLB from automatic allocation for a pool. Explicit requests (annotations, loadBalancerIP) still work.',
            { default: true },
          ),
          avoidBuggyIPs: bool(
            'AvoidBuggyIPs prevents addresses ending with .0 and .255 to be used by a pool (IPv4 only).',
            { default: false },
          ),
          serviceAllocation: obj(
            'AllocateTo makes ip pool allocation to specific namespace and/or service. The controller will use the pool with lowest value of priority in case of multiple matches. A pool with no priority set will be used only if the pools with priority can\'t be used. If multiple matching IPAddressPools are available it will check for the availability of IPs sorting the matching IPAddressPools by priority, starting from the highest to the lowest. If multiple IPAddressPools have the same priority, choice will be random.',
            {
              priority: int('Priority priority given for ip pool while ip allocation on a service. Lower positive numbers win; 0 or unset is the lowest priority.'),
              namespaces: nameList(
                'Namespaces list of namespace(s) on which ip pool can be attached.',
                'namespaces',
                'A namespace name.',
              ),
              namespaceSelectors: selectorList(
                'NamespaceSelectors list of label selectors to select namespace(s) for ip pool, an alternative to using namespace list.',
                'namespaceSelectors',
                'A label selector matched against Namespace labels.',
              ),
              serviceSelectors: selectorList(
                'ServiceSelectors list of label selector to select service(s) for which ip pool can be used for ip allocation.',
                'serviceSelectors',
                'A label selector matched against Service labels.',
              ),
            },
          ),
        },
        { required: ['addresses'] },
      ),
      obj(
        'IPAddressPoolStatus defines the observed state of IPAddressPool: address counts written by the controller.',
        {
          assignedIPv4: int('AssignedIPv4 is the number of assigned IPv4 addresses.', { format: 'int64' }),
          assignedIPv6: int('AssignedIPv6 is the number of assigned IPv6 addresses.', { format: 'int64' }),
          availableIPv4: int('AvailableIPv4 is the number of available IPv4 addresses.', { format: 'int64' }),
          availableIPv6: int('AvailableIPv6 is the number of available IPv6 addresses.', { format: 'int64' }),
        },
        { required: ['assignedIPv4', 'assignedIPv6', 'availableIPv4', 'availableIPv6'] },
      ),
      ['spec'],
    ),
    [
      { name: 'Auto Assign', type: 'boolean', jsonPath: '.spec.autoAssign' },
      { name: 'Avoid Buggy IPs', type: 'boolean', jsonPath: '.spec.avoidBuggyIPs' },
      { name: 'Addresses', type: 'string', jsonPath: '.spec.addresses' },
      { name: 'Assigned IPv4', type: 'integer', jsonPath: '.status.assignedIPv4' },
      { name: 'Available IPv4', type: 'integer', jsonPath: '.status.availableIPv4' },
      { name: 'Assigned IPv6', type: 'integer', jsonPath: '.status.assignedIPv6' },
      { name: 'Available IPv6', type: 'integer', jsonPath: '.status.availableIPv6' },
    ],
  ),
]);

// ---------------------------------------------------------------------------------------------
// L2Advertisement and BGPAdvertisement share the pool and node selection fields

const poolFields = (mode: string): Record<string, Schema> => ({
  ipAddressPools: nameList(
    `The list of IPAddressPools to advertise via this advertisement, selected by name. If both ipAddressPools and ipAddressPoolSelectors are empty, every pool is advertised via ${mode}.`,
    'ipAddressPools',
    'An IPAddressPool name.',
  ),
  ipAddressPoolSelectors: selectorList(
    'A selector for the IPAddressPools which would get advertised via this advertisement. If no IPAddressPool is selected by this or by the list, the advertisement is applied to all the IPAddressPools.',
    'ipAddressPoolSelectors',
    'A label selector matched against IPAddressPool labels.',
  ),
  nodeSelectors: selectorList(
    'NodeSelectors allows to limit the nodes to announce as next hops for the LoadBalancer IP. When empty, all the nodes having are announced as next hops.',
    'nodeSelectors',
    'A label selector matched against Node labels.',
  ),
  serviceSelectors: selectorList(
    'ServiceSelectors limits the advertisement to Services whose labels match any selector. Empty means all services of the selected pools.',
    'serviceSelectors',
    'A label selector matched against Service labels.',
  ),
});

const l2Advertisement = crd('L2Advertisement', 'l2advertisements', ['l2adv'], [
  version(
    'v1beta1',
    root(
      'L2Advertisement allows to advertise the LoadBalancer IPs provided by the selected pools via L2 (ARP/NDP). An L2Advertisement without spec advertises every pool from every node.',
      obj('L2AdvertisementSpec defines the desired state of L2Advertisement.', {
        ...poolFields('L2'),
        interfaces: arr(
          'A list of interfaces to announce from. The LB IP will be announced only from these interfaces. If the field is not set, we advertise from all the interfaces on the host.',
          str('An interface name.', { minLength: 1, maxLength: 15 }),
          { maxItems: 256, 'x-kubernetes-list-type': 'atomic' },
        ),
        preferredNodeSelectors: arr(
          'PreferredNodeSelectors gives nodes eligible for this advertisement a weighted preference in the L2 election: a node\'s score is the sum of the weights of the preferences whose selector matches it.',
          obj(
            'A weighted node preference.',
            {
              weight: int('Weight associated with matching the corresponding preference, in the range 1-100.', {
                minimum: 1,
                maximum: 100,
              }),
              preference: labelSelector('A node selector term; an empty selector matches every eligible node.'),
            },
            { required: ['weight', 'preference'] },
          ),
          { maxItems: 64, 'x-kubernetes-list-type': 'atomic' },
        ),
      }),
      emptyStatus('L2Advertisement'),
    ),
    [
      { name: 'IPAddressPools', type: 'string', jsonPath: '.spec.ipAddressPools' },
      { name: 'IPAddressPool Selectors', type: 'string', jsonPath: '.spec.ipAddressPoolSelectors' },
      { name: 'Interfaces', type: 'string', jsonPath: '.spec.interfaces' },
      { name: 'Node Selectors', type: 'string', jsonPath: '.spec.nodeSelectors', priority: 10 },
    ],
  ),
]);

const bgpAdvertisement = crd('BGPAdvertisement', 'bgpadvertisements', ['bgpadv'], [
  version(
    'v1beta1',
    root(
      'BGPAdvertisement allows to advertise the IPs coming from the selected IPAddressPools via BGP, setting the parameters of the BGP Advertisement.',
      obj(
        'BGPAdvertisementSpec defines the desired state of BGPAdvertisement.',
        {
          aggregationLength: int(
            'The aggregation-length advertisement option lets you “roll up” the /32s into a larger prefix. Defaults to 32. Works for IPv4 addresses. Must not be shorter than the shortest prefix of any address entry of the advertised pools.',
            { default: 32, minimum: 1, maximum: 32 },
          ),
          aggregationLengthV6: int(
            'The aggregation-length advertisement option lets you “roll up” the /128s into a larger prefix. Defaults to 128. Works for IPv6 addresses.',
            { default: 128, minimum: 1, maximum: 128 },
          ),
          localPref: uint32(
            'The BGP LOCAL_PREF attribute which is used by BGP best path algorithm, Path with higher localpref is preferred over one with lower localpref. Sent to iBGP peers only.',
          ),
          communities: arr(
            'The BGP communities to be associated with the announcement. Each item can be a standard community of the form 1234:1234, a large community of the form large:1234:1234:1234 or the name of an alias defined in the Community CRD.',
            str('A community value, or the name of a Community alias (names contain no ":").', {
              minLength: 1,
              maxLength: 64,
              'x-kubernetes-validations': [
                { rule: `!self.contains(':') || ${communityValue('self')}`, message: `a community containing ":" ${COMMUNITY_MESSAGE}` },
              ],
            }),
            { maxItems: 128, 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-validations': [noDuplicates('communities')] },
          ),
          peers: nameList(
            'Peers limits the bgppeer to advertise the ips of the selected pools to. When empty, the loadbalancer IP is announced to all the BGPPeers configured.',
            'peers',
            'A BGPPeer name.',
          ),
          ...poolFields('BGP'),
        },
        {
          'x-kubernetes-validations': [
            {
              rule:
                '!has(self.serviceSelectors) || size(self.serviceSelectors) == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))',
              message: 'serviceSelectors and a non-default aggregationLength/aggregationLengthV6 are mutually exclusive',
            },
          ],
        },
      ),
      emptyStatus('BGPAdvertisement'),
    ),
    [
      { name: 'IPAddressPools', type: 'string', jsonPath: '.spec.ipAddressPools' },
      { name: 'IPAddressPool Selectors', type: 'string', jsonPath: '.spec.ipAddressPoolSelectors' },
      { name: 'Peers', type: 'string', jsonPath: '.spec.peers' },
      { name: 'Node Selectors', type: 'string', jsonPath: '.spec.nodeSelectors', priority: 10 },
    ],
  ),
]);

// ---------------------------------------------------------------------------------------------
// BGPPeer (v1beta1 served and deprecated, v1beta2 storage)

const ipField = (description: string): Schema =>
  str(description, {
    maxLength: 45,
    'x-kubernetes-validations': [{ rule: "self == '' || isIP(self)", message: 'must be an IPv4 or IPv6 address' }],
  });

const routerIdField = (): Schema =>
  str('BGP router ID to advertise to the peer: a 32-bit identifier written as an IPv4 address.', {
    maxLength: 15,
    'x-kubernetes-validations': [
      { rule: "self == '' || (isIP(self) && ip(self).family() == 4)", message: 'routerID must be an IPv4 address (the BGP identifier is 32 bits)' },
    ],
  });

const durationField = (description: string): Schema => str(description, { maxLength: 32, pattern: DURATION_RE });

const peerCommon = (): Record<string, Schema> => ({
  myASN: uint32('AS number to use for the local end of the session.', { minimum: 1 }),
  peerASN: uint32('AS number to expect from the remote end of the session.'),
  peerAddress: ipField('Address to dial when establishing the session.'),
  sourceAddress: ipField('Source address to use when establishing the session.'),
  peerPort: int('Port to dial when establishing the session.', { minimum: 1, maximum: 65535, default: 179 }),
  holdTime: durationField('Requested BGP hold time, per RFC4271 (a Go duration such as "90s"; 0s or at least 3s).'),
  keepaliveTime: durationField('Requested BGP keepalive time, per RFC4271 (at most holdTime).'),
  routerID: routerIdField(),
  password: str('Authentication password for routers enforcing TCP MD5 authenticated sessions (at most 80 bytes, RFC 2385 keys on Linux).', { maxLength: 80 }),
  bfdProfile: str('The name of the BFDProfile to be used for the BFD session associated to the BGP session. If not set, the BFD session won\'t be set up.'),
  ebgpMultiHop: bool('To set if the BGPPeer is multi-hops away. Needed for FRR mode only.'),
});

/** Spec-level rules shared by both versions (timers). */
const timerRules: Rule[] = [
  {
    rule: '!has(self.holdTime) || duration(self.holdTime).getSeconds() == 0 || duration(self.holdTime).getSeconds() >= 3',
    message: 'holdTime must be 0s or at least 3s',
  },
  {
    rule: '!has(self.holdTime) || !has(self.keepaliveTime) || duration(self.keepaliveTime) <= duration(self.holdTime)',
    message: 'keepaliveTime must not be greater than holdTime',
  },
];

const bgpPeerV1beta2 = version(
  'v1beta2',
  root(
    'BGPPeer is the Schema for the peers API.',
    obj(
      'BGPPeerSpec defines the desired state of Peer.',
      {
        ...peerCommon(),
        dynamicASN: str(
          'DynamicASN detects the AS number to use for the remote end of the session without explicitly setting it via the ASN field. Limited to: internal - if the neighbor\'s ASN is different than MyASN connection is denied. external - if the neighbor\'s ASN is the same as MyASN the connection is denied. ASN and DynamicASN are mutually exclusive and one of them must be specified.',
          { enum: ['internal', 'external'] },
        ),
        localASN: uint32('AS number to use for the local end of the session towards this peer (FRR "local-as ... no-prepend replace-as").', {
          minimum: 1,
        }),
        interface: str('Interface name to use when establishing the session (BGP unnumbered). Exclusive with peerAddress.', {
          maxLength: 15,
        }),
        connectTime: durationField('Requested BGP connect time, controls how long BGP waits between connection attempts to a neighbor (whole seconds, 1s to 65535s).'),
        nodeSelectors: selectorList(
          'Only connect to this peer on nodes that match one of these selectors. Empty means all nodes.',
          'nodeSelectors',
          'A label selector matched against Node labels.',
        ),
        passwordSecret: obj(
          'passwordSecret is name of the authentication secret for BGP Peer. The secret must be of type "kubernetes.io/basic-auth", and created in the same namespace as the MetalLB deployment. The password is stored in the secret as the key "password".',
          {
            name: str('name is unique within a namespace to reference a secret resource.', { maxLength: 253 }),
            namespace: str('namespace defines the space within which the secret name must be unique (ignored: the secret is read from the MetalLB namespace).', { maxLength: 63 }),
          },
          { 'x-kubernetes-map-type': 'atomic' },
        ),
        enableGracefulRestart: bool(
          'EnableGracefulRestart allows BGP peer to continue to forward data packets along known routes while the routing protocol information is being restored. This field is immutable because it requires restart of the BGP session.',
          { 'x-kubernetes-validations': [immutable('enableGracefulRestart')] },
        ),
        vrf: str('To set if we want to peer with the BGPPeer using an interface belonging to a host vrf.'),
        disableMP: bool('Deprecated: ignored. To set if we want to disable MP BGP that will separate IPv4 and IPv6 route exchanges into distinct BGP sessions.', { default: false }),
        dualStackAddressFamily: bool('To set if we want to enable the neighbor not only for the ipfamily related to its session, but also the other one.', { default: false }),
      },
      {
        required: ['myASN'],
        'x-kubernetes-validations': [
          {
            rule: '(has(self.peerASN) && self.peerASN != 0) != has(self.dynamicASN)',
            message: 'exactly one of peerASN and dynamicASN must be set',
          },
          {
            rule: "(has(self.peerAddress) && self.peerAddress != '') != (has(self.interface) && self.interface != '')",
            message: 'exactly one of peerAddress and interface must be set',
          },
          {
            rule: '!(has(self.ebgpMultiHop) && self.ebgpMultiHop && has(self.peerASN) && self.peerASN == self.myASN)',
            message: 'ebgpMultiHop must not be set for an iBGP session (peerASN equals myASN)',
          },
          {
            rule: "!(has(self.password) && self.password != '' && has(self.passwordSecret) && has(self.passwordSecret.name) && self.passwordSecret.name != '')",
            message: 'password and passwordSecret are mutually exclusive',
          },
          {
            rule: '!has(self.connectTime) || (duration(self.connectTime).getMilliseconds() % 1000 == 0 && duration(self.connectTime).getSeconds() >= 1 && duration(self.connectTime).getSeconds() <= 65535)',
            message: 'connectTime must be a whole number of seconds between 1s and 65535s',
          },
          ...timerRules,
        ],
      },
    ),
    emptyStatus('BGPPeer'),
    ['spec'],
  ),
  [
    { name: 'Address', type: 'string', jsonPath: '.spec.peerAddress' },
    { name: 'ASN', type: 'string', jsonPath: '.spec.peerASN' },
    { name: 'BFD Profile', type: 'string', jsonPath: '.spec.bfdProfile' },
    { name: 'Multi Hops', type: 'string', jsonPath: '.spec.ebgpMultiHop' },
    { name: 'Interface', type: 'string', jsonPath: '.spec.interface', priority: 1 },
    { name: 'My ASN', type: 'string', jsonPath: '.spec.myASN', priority: 1 },
  ],
);

/** v1beta1's node selector: the same shape as a LabelSelector, with required, non-empty values. */
const legacySelector = (): Schema =>
  obj('Legacy node selector (v1beta1).', {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: arr(
      'Label requirements, ANDed.',
      obj(
        'A label requirement.',
        {
          key: str('The label key.'),
          operator: str('In, NotIn, Exists or DoesNotExist.'),
          values: arr('Label values.', { type: 'string' }, { minItems: 1 }),
        },
        { required: ['key', 'operator', 'values'] },
      ),
    ),
  });

const bgpPeerV1beta1: CrdVersion = {
  ...version(
    'v1beta1',
    root(
      'BGPPeer is the Schema for the peers API (deprecated version; use v1beta2).',
      obj(
        'BGPPeerSpec defines the desired state of Peer.',
        {
          ...peerCommon(),
          peerPort: int('Port to dial when establishing the session (0 means 179).', { minimum: 0, maximum: 65535 }),
          nodeSelectors: arr('Only connect to this peer on nodes that match one of these selectors.', legacySelector()),
        },
        { required: ['myASN', 'peerASN', 'peerAddress'], 'x-kubernetes-validations': [...timerRules] },
      ),
      emptyStatus('BGPPeer'),
      ['spec'],
    ),
    [
      { name: 'Address', type: 'string', jsonPath: '.spec.peerAddress' },
      { name: 'ASN', type: 'string', jsonPath: '.spec.peerASN' },
      { name: 'BFD Profile', type: 'string', jsonPath: '.spec.bfdProfile' },
      { name: 'Multi Hops', type: 'string', jsonPath: '.spec.ebgpMultiHop' },
    ],
    false,
  ),
  deprecated: true,
  deprecationWarning: 'v1beta1 is deprecated, please use v1beta2',
};

// Conversion strategy None: v1beta1 is a field-for-field subset of v1beta2 (its legacy node
// selector has the LabelSelector shape), so relabelling the apiVersion is a faithful
// conversion. Reading a v1beta2 object as v1beta1 prunes the v1beta2-only fields, as MetalLB's
// webhook does. Unlike MetalLB (quirk 19) absent timers stay absent instead of becoming 0s.
const bgpPeer = crd('BGPPeer', 'bgppeers', ['bgpp'], [bgpPeerV1beta1, bgpPeerV1beta2], { strategy: 'None' });

// ---------------------------------------------------------------------------------------------
// BFDProfile, Community

const ms = (description: string): Schema =>
  int(`${description} In milliseconds, 10 to 60000.`, { minimum: 10, maximum: 60000 });

const bfdProfile = crd('BFDProfile', 'bfdprofiles', ['bfdp'], [
  version(
    'v1beta1',
    root(
      'BFDProfile represents the settings of the bfd session that can be optionally associated with a BGP session.',
      obj('BFDProfileSpec defines the desired state of BFDProfile.', {
        receiveInterval: ms('The minimum interval that this system is capable of receiving control packets.'),
        transmitInterval: ms('The minimum transmission interval (less jitter) that this system wants to use to send BFD control packets.'),
        detectMultiplier: int('Configures the detection multiplier to determine packet loss. The remote transmission interval will be multiplied by this value to determine the connection loss detection timer.', {
          minimum: 2,
          maximum: 255,
        }),
        echoInterval: ms('Configures the minimal echo receive transmission interval that this system is capable of handling.'),
        echoMode: bool('Enables or disables the echo transmission mode. Not allowed for peers receiving IPv6 advertisements.'),
        passiveMode: bool('Mark session as passive: a passive session will not attempt to start the connection and will wait for control packets from peer before it begins replying.'),
        minimumTtl: int('For multi hop sessions only: configure the minimum expected TTL for an incoming BFD control packet.', {
          minimum: 1,
          maximum: 254,
        }),
      }),
      emptyStatus('BFDProfile'),
    ),
    [
      { name: 'Passive Mode', type: 'boolean', jsonPath: '.spec.passiveMode' },
      { name: 'Transmit Interval', type: 'integer', jsonPath: '.spec.transmitInterval' },
      { name: 'Receive Interval', type: 'integer', jsonPath: '.spec.receiveInterval' },
      { name: 'Multiplier', type: 'integer', jsonPath: '.spec.detectMultiplier' },
    ],
  ),
]);

const community = crd('Community', 'communities', ['bgpcomm'], [
  version(
    'v1beta1',
    root(
      'Community is a collection of aliases for communities. Users can define named aliases to be used in the BGPAdvertisement.',
      obj('CommunitySpec defines the desired state of Community.', {
        communities: arr(
          'Aliases: each maps a name to a community value.',
          obj(
            'A community alias.',
            {
              name: str('The name of the alias for the community; unique across all Community objects.', {
                minLength: 1,
                maxLength: 253,
              }),
              value: str(
                'The BGP community value corresponding to the given name. Can be a standard community of the form 1234:1234 or a large community of the form large:1234:1234:1234.',
                {
                  minLength: 1,
                  maxLength: 64,
                  'x-kubernetes-validations': [{ rule: communityValue('self'), message: `value ${COMMUNITY_MESSAGE}` }],
                },
              ),
            },
            { required: ['name', 'value'] },
          ),
          {
            maxItems: 128,
            'x-kubernetes-list-type': 'atomic',
            'x-kubernetes-validations': [
              { rule: 'self.all(x, self.exists_one(y, y.name == x.name))', message: 'duplicate definition of community alias name' },
            ],
          },
        ),
      }),
      emptyStatus('Community'),
    ),
    [],
  ),
]);

// ---------------------------------------------------------------------------------------------
// Status-only kinds written by the speakers and the controller

const serviceStatusFields = (): Record<string, Schema> => ({
  node: str('Node indicates the node announcing the service.', { maxLength: 253, 'x-kubernetes-validations': [immutable('node')] }),
  serviceName: str('ServiceName indicates the service this status represents.', {
    maxLength: 253,
    'x-kubernetes-validations': [immutable('serviceName')],
  }),
  serviceNamespace: str('ServiceNamespace indicates the namespace of the service.', {
    maxLength: 63,
    'x-kubernetes-validations': [immutable('serviceNamespace')],
  }),
});

const serviceL2Status = crd('ServiceL2Status', 'servicel2statuses', ['l2status'], [
  version(
    'v1beta1',
    root(
      'ServiceL2Status reveals the actual traffic status of loadbalancer services in layer2 mode: which node announces a service, on which interfaces.',
      { type: 'object', description: 'ServiceL2StatusSpec is empty.' },
      obj('MetalLBServiceL2Status defines the observed state of ServiceL2Status.', {
        ...serviceStatusFields(),
        interfaces: arr(
          'Interfaces indicates the interfaces that receive the directed traffic.',
          obj('InterfaceInfo defines interface info of layer2 announcement.', {
            name: str('Name the name of network interface card.'),
          }),
          { 'x-kubernetes-list-type': 'atomic' },
        ),
      }),
    ),
    [
      { name: 'Allocated Node', type: 'string', jsonPath: '.status.node' },
      { name: 'Service Name', type: 'string', jsonPath: '.status.serviceName' },
      { name: 'Service Namespace', type: 'string', jsonPath: '.status.serviceNamespace' },
      { name: 'Interfaces', type: 'string', jsonPath: '.status.interfaces[*].name' },
    ],
  ),
]);

const serviceBgpStatus = crd('ServiceBGPStatus', 'servicebgpstatuses', ['bgpstatus'], [
  version(
    'v1beta1',
    root(
      'ServiceBGPStatus exposes the BGP peers a service is configured to be advertised to, per node.',
      { type: 'object', description: 'ServiceBGPStatusSpec is empty.' },
      obj('MetalLBServiceBGPStatus defines the observed state of ServiceBGPStatus.', {
        ...serviceStatusFields(),
        peers: arr('Peers indicate the BGP peers for which the service is configured to be advertised to. The service being actually advertised to a given peer depends on the session state and is not indicated here.', { type: 'string' }, { 'x-kubernetes-list-type': 'atomic' }),
      }),
    ),
    [
      { name: 'Node', type: 'string', jsonPath: '.status.node' },
      { name: 'Service Name', type: 'string', jsonPath: '.status.serviceName' },
      { name: 'Service Namespace', type: 'string', jsonPath: '.status.serviceNamespace' },
      { name: 'Peers', type: 'string', jsonPath: '.status.peers' },
    ],
  ),
]);

const configurationState = crd('ConfigurationState', 'configurationstates', ['cfgstate'], [
  version(
    'v1beta1',
    root(
      'ConfigurationState is a status-only CRD that reports configuration validation results from MetalLB components: one object per component (controller, speaker-<node>).',
      undefined,
      obj('ConfigurationStateStatus defines the observed state of ConfigurationState.', {
        result: str('Result indicates the configuration validation result.', { enum: ['Valid', 'Invalid', 'Unknown'] }),
        errorSummary: str('ErrorSummary contains the aggregated error messages from reconciliation failures, one per line.'),
        conditions: arr('Conditions contains the status conditions from the reconcilers running in this component.', condition(), {
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
        }),
      }),
    ),
    [
      { name: 'Result', type: 'string', jsonPath: '.status.result' },
      { name: 'ErrorSummary', type: 'string', jsonPath: '.status.errorSummary' },
    ],
  ),
]);

/** Every CRD with the file name it is rendered to under `deploy/crds/`. */
export const CRD_FILES: ReadonlyArray<{ file: string; crd: Crd }> = [
  { file: 'metallb.io_ipaddresspools.yaml', crd: ipAddressPool },
  { file: 'metallb.io_l2advertisements.yaml', crd: l2Advertisement },
  { file: 'metallb.io_bgpadvertisements.yaml', crd: bgpAdvertisement },
  { file: 'metallb.io_bgppeers.yaml', crd: bgpPeer },
  { file: 'metallb.io_bfdprofiles.yaml', crd: bfdProfile },
  { file: 'metallb.io_communities.yaml', crd: community },
  { file: 'metallb.io_servicel2statuses.yaml', crd: serviceL2Status },
  { file: 'metallb.io_servicebgpstatuses.yaml', crd: serviceBgpStatus },
  { file: 'metallb.io_configurationstates.yaml', crd: configurationState },
];

