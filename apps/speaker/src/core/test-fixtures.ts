/**
 * Builders for the core's unit tables: metallb.io objects run through the real `buildConfig`,
 * Services and Nodes as the core sees them. Test support only (never imported by the binary).
 */
import { buildConfig, isConfigErrors, type Config } from '@metallb-ts/config';
import type { EndpointInput } from '@metallb-ts/election';
import type { CoreInput, SpeakerNode, SpeakerService } from './model.js';

export const NS = 'metallb-system';

type Obj = Record<string, unknown>;
const meta = (name: string, extra: Obj = {}) => ({ name, namespace: NS, ...extra });

export const pool = (name: string, addresses: string[], spec: Obj = {}): Obj => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: meta(name), spec: { addresses, ...spec } });
export const l2adv = (name: string, spec: Obj = {}): Obj => ({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: meta(name), spec });
export const bgpadv = (name: string, spec: Obj = {}): Obj => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta(name), spec });
export const peer = (name: string, spec: Obj): Obj => ({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta(name), spec: { myASN: 64512, peerASN: 64513, ...spec } });
export const communityAliases = (name: string, communities: { name: string; value: string }[]): Obj => ({ apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: meta(name), spec: { communities } });
export const nodeObj = (name: string, labels: Record<string, string> = {}): Obj => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });

/** A valid configuration for `node` (throws with the errors otherwise). */
export function config(objects: Obj[], nodes: SpeakerNode[] = [node('n1'), node('n2'), node('n3')], me = 'n1'): Config {
  const c = buildConfig([...objects, ...nodes.map((n) => nodeObj(n.name, { ...n.labels }))], { namespace: NS, node: me });
  if (isConfigErrors(c)) throw new Error(c.message);
  return c;
}

export const node = (name: string, o: Partial<Omit<SpeakerNode, 'name'>> = {}): SpeakerNode => ({ name, labels: {}, networkUnavailable: false, addresses: [], ...o });

export const ready = (nodeName?: string): EndpointInput => ({ ...(nodeName ? { nodeName } : {}), serving: true, addresses: 1 });

export function svc(name: string, ips: string[], o: Partial<Omit<SpeakerService, 'key' | 'name' | 'ips'>> = {}): SpeakerService {
  const namespace = o.namespace ?? 'default';
  return { key: `${namespace}/${name}`, namespace, name, type: 'LoadBalancer', labels: {}, externalTrafficPolicy: 'Cluster', allowSharedIp: false, ips, endpoints: [ready('n1')], ...o };
}

export function input(o: Partial<CoreInput> & Pick<CoreInput, 'config'>): CoreInput {
  return { node: 'n1', services: [], nodes: [node('n1'), node('n2'), node('n3')], liveMembers: undefined, interfaces: undefined, ignoreExcludeLb: false, ...o };
}
