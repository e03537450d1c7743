/**
 * Type checks for built-in kinds. kube-apiserver decodes built-in objects into Go structs, so a
 * field of the wrong JSON type never gets stored; apiserver-lite stores built-ins as JSON and
 * checks, with these structural schemas, the fields kubectl and our apps read: Service,
 * EndpointSlice, Node, Pod, Namespace, ConfigMap, Secret, Lease, Event (core and events.k8s.io),
 * and `metadata` of every object. Only types (and a few closed enums) are checked; unknown fields
 * are kept, and `null` is accepted everywhere (Go decodes it as the zero value).
 */
import type { StatusCause } from './errors.js';
import type { Schema } from './schema.js';

const str: Schema = { type: 'string', nullable: true };
const int: Schema = { type: 'integer', nullable: true };
const bool: Schema = { type: 'boolean', nullable: true };
const intOrString: Schema = { 'x-kubernetes-int-or-string': true, nullable: true };
const strMap: Schema = { type: 'object', additionalProperties: str, nullable: true };
const strList: Schema = { type: 'array', items: str, nullable: true };
const anyObj: Schema = { type: 'object', nullable: true, 'x-kubernetes-preserve-unknown-fields': true };
const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values, nullable: true });
const obj = (properties: Record<string, Schema>): Schema => ({ type: 'object', properties, nullable: true, 'x-kubernetes-preserve-unknown-fields': true });
const list = (items: Schema): Schema => ({ type: 'array', items, nullable: true });

const condition = obj({ type: str, status: str, reason: str, message: str, lastTransitionTime: str, lastHeartbeatTime: str, lastProbeTime: str, observedGeneration: int });
const objectRef = obj({ apiVersion: str, kind: str, name: str, namespace: str, uid: str, resourceVersion: str, fieldPath: str });

/** `metadata` of every object (`ObjectMeta`). */
export const OBJECT_META_SCHEMA: Schema = obj({
  name: str,
  generateName: str,
  namespace: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int,
  labels: strMap,
  annotations: strMap,
  finalizers: strList,
  ownerReferences: list(obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool })),
  managedFields: list(obj({ manager: str, operation: str, apiVersion: str, time: str, fieldsType: str, fieldsV1: anyObj, subresource: str })),
});

const service: Schema = obj({
  spec: obj({
    ports: list(obj({ name: str, protocol: oneOf('SCTP', 'TCP', 'UDP'), appProtocol: str, port: int, targetPort: intOrString, nodePort: int })),
    selector: strMap,
    type: oneOf('ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'),
    clusterIP: str,
    clusterIPs: strList,
    ipFamilies: list(oneOf('IPv4', 'IPv6')),
    ipFamilyPolicy: oneOf('PreferDualStack', 'RequireDualStack', 'SingleStack'),
    externalIPs: strList,
    externalName: str,
    externalTrafficPolicy: oneOf('Cluster', 'Local'),
    internalTrafficPolicy: oneOf('Cluster', 'Local'),
    healthCheckNodePort: int,
    loadBalancerIP: str,
    loadBalancerClass: str,
    loadBalancerSourceRanges: strList,
    allocateLoadBalancerNodePorts: bool,
    publishNotReadyAddresses: bool,
    sessionAffinity: oneOf('ClientIP', 'None'),
    sessionAffinityConfig: anyObj,
    trafficDistribution: str,
  }),
  status: obj({
    loadBalancer: obj({ ingress: list(obj({ ip: str, hostname: str, ipMode: str, ports: list(obj({ port: int, protocol: str, error: str })) })) }),
    conditions: list(condition),
  }),
});

const endpointSlice: Schema = obj({
  addressType: oneOf('FQDN', 'IPv4', 'IPv6'),
  endpoints: list(
    obj({
      addresses: strList,
      conditions: obj({ ready: bool, serving: bool, terminating: bool }),
      hostname: str,
      nodeName: str,
      zone: str,
      targetRef: objectRef,
      hints: anyObj,
    }),
  ),
  ports: list(obj({ name: str, port: int, protocol: str, appProtocol: str })),
});

const node: Schema = obj({
  spec: obj({ podCIDR: str, podCIDRs: strList, providerID: str, unschedulable: bool, taints: list(obj({ key: str, value: str, effect: str, timeAdded: str })) }),
  status: obj({ addresses: list(obj({ type: str, address: str })), conditions: list(condition), nodeInfo: anyObj, capacity: anyObj, allocatable: anyObj }),
});

const pod: Schema = obj({
  spec: obj({
    nodeName: str,
    hostNetwork: bool,
    serviceAccountName: str,
    containers: list(obj({ name: str, image: str, args: strList, command: strList, ports: list(obj({ name: str, containerPort: int, hostPort: int, protocol: str })) })),
  }),
  status: obj({ phase: str, podIP: str, podIPs: list(obj({ ip: str })), hostIP: str, hostIPs: list(obj({ ip: str })), conditions: list(condition) }),
});

const namespace: Schema = obj({ spec: obj({ finalizers: strList }), status: obj({ phase: str, conditions: list(condition) }) });
const configMap: Schema = obj({ data: strMap, binaryData: strMap, immutable: bool });
const secret: Schema = obj({ data: strMap, stringData: strMap, type: str, immutable: bool });
const lease: Schema = obj({
  spec: obj({ holderIdentity: str, leaseDurationSeconds: int, acquireTime: str, renewTime: str, leaseTransitions: int, strategy: str, preferredHolder: str }),
});
const coreEvent: Schema = obj({
  involvedObject: objectRef,
  related: objectRef,
  reason: str,
  message: str,
  type: str,
  action: str,
  count: int,
  firstTimestamp: str,
  lastTimestamp: str,
  eventTime: str,
  source: obj({ component: str, host: str }),
  reportingComponent: str,
  reportingInstance: str,
  series: obj({ count: int, lastObservedTime: str }),
});
const eventsEvent: Schema = obj({
  regarding: objectRef,
  related: objectRef,
  reason: str,
  note: str,
  type: str,
  action: str,
  eventTime: str,
  reportingController: str,
  reportingInstance: str,
  deprecatedCount: int,
  deprecatedFirstTimestamp: str,
  deprecatedLastTimestamp: str,
  deprecatedSource: obj({ component: str, host: str }),
  series: obj({ count: int, lastObservedTime: str }),
});

/**
 * Schemas (without `metadata`, `apiVersion`, `kind`) of the built-in kinds whose fields are
 * type-checked, by storage key (`group/plural`).
 */
export const BUILTIN_SCHEMAS: Readonly<Record<string, Schema>> = {
  '/services': service,
  'discovery.k8s.io/endpointslices': endpointSlice,
  '/nodes': node,
  '/pods': pod,
  '/namespaces': namespace,
  '/configmaps': configMap,
  '/secrets': secret,
  'coordination.k8s.io/leases': lease,
  '/events': coreEvent,
  'events.k8s.io/events': eventsEvent,
};

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MESSAGE = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** `data` / `binaryData` keys of ConfigMaps and Secrets (`IsConfigMapKey`). */
function configKeys(obj: Record<string, any>, fields: string[]): StatusCause[] {
  const out: StatusCause[] = [];
  for (const f of fields) {
    if (!isObj(obj[f])) continue;
    for (const k of Object.keys(obj[f])) {
      if (!CONFIG_KEY.test(k)) out.push({ reason: 'FieldValueInvalid', field: `${f}[${k}]`, message: `Invalid value: ${JSON.stringify(k)}: ${CONFIG_KEY_MESSAGE}` });
      else if (k.length > 253) out.push({ reason: 'FieldValueInvalid', field: `${f}[${k}]`, message: `Invalid value: ${JSON.stringify(k)}: must be no more than 253 characters` });
    }
  }
  return out;
}

const has = (v: unknown) => typeof v === 'string' && v !== '';

/**
 * kube-apiserver's Event validation (`ValidateEventCreate`/`legacyValidateEvent`): an Event
 * without `eventTime` must be in the namespace of the object it is about (or in `default` for a
 * cluster-scoped one); one with `eventTime` needs `reportingController`, `reportingInstance`,
 * `action` and `reason`. Through `events.k8s.io/v1` also: `eventTime` is required and `type` is
 * `Normal` or `Warning`.
 */
function validateEvent(ev: Record<string, any>, group: string): StatusCause[] {
  const out: StatusCause[] = [];
  const modern = group === 'events.k8s.io';
  const ref = isObj(modern ? ev.regarding : ev.involvedObject) ? (modern ? ev.regarding : ev.involvedObject) : {};
  const refNs: string = typeof ref.namespace === 'string' ? ref.namespace : '';
  const ns: string = ev.metadata?.namespace ?? '';
  const eventTime = modern ? ev.eventTime : ev.eventTime;
  const mismatch = { reason: 'FieldValueInvalid', field: 'involvedObject.namespace', message: `Invalid value: ${JSON.stringify(refNs)}: does not match event.namespace` };
  if (!has(eventTime)) {
    if (refNs === '' ? ns !== '' && ns !== 'default' : ns !== refNs) out.push(mismatch);
  } else {
    if (refNs === '' && ns !== 'default' && ns !== 'kube-system') out.push(mismatch);
    const controller = modern ? ev.reportingController : ev.reportingComponent;
    const controllerField = modern ? 'reportingController' : 'reportingComponent';
    if (!has(controller)) out.push({ reason: 'FieldValueRequired', field: controllerField, message: 'Required value' });
    if (!has(ev.reportingInstance)) out.push({ reason: 'FieldValueRequired', field: 'reportingInstance', message: 'Required value' });
    if (!has(ev.action)) out.push({ reason: 'FieldValueRequired', field: 'action', message: 'Required value' });
    if (!has(ev.reason)) out.push({ reason: 'FieldValueRequired', field: 'reason', message: 'Required value' });
  }
  if (modern) {
    if (!has(eventTime)) out.push({ reason: 'FieldValueRequired', field: 'eventTime', message: 'Required value' });
    if (ev.type !== 'Normal' && ev.type !== 'Warning') out.push({ reason: 'FieldValueInvalid', field: 'type', message: `Invalid value: "": has invalid value: ${ev.type ?? ''}` });
  }
  return out;
}

/**
 * Checks of built-in kinds that a structural schema cannot express, by storage key: ConfigMap
 * and Secret keys, Event namespaces and required fields. Runs on the object as it would be
 * stored (after `prepareBuiltin` of `defaults.ts`). Empty when valid.
 */
export function validateBuiltin(key: string, obj: Record<string, any>): StatusCause[] {
  switch (key) {
    case '/configmaps':
      return configKeys(obj, ['data', 'binaryData']);
    case '/secrets':
      return configKeys(obj, ['data']);
    case '/events':
      return validateEvent(obj, '');
    case 'events.k8s.io/events':
      return validateEvent(obj, 'events.k8s.io');
    default:
      return [];
  }
}
