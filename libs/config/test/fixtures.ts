/** Builders for test objects (plain JSON, as the API server or a YAML file would give them). */
import { buildConfig, ConfigErrors, type BuildOptions, type Config, type ConfigIssue } from '../src/index.js';

export const NS = 'metallb-system';

const meta = (name: string, labels?: Record<string, string>) => ({ name, namespace: NS, ...(labels ? { labels } : {}) });

export const pool = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: meta(name, labels),
  spec,
});

export const l2 = (name: string, spec?: Record<string, unknown>) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'L2Advertisement',
  metadata: meta(name),
  ...(spec ? { spec } : {}),
});

export const bgpAdv = (name: string, spec?: Record<string, unknown>) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPAdvertisement',
  metadata: meta(name),
  ...(spec ? { spec } : {}),
});

/** A valid eBGP peer, with `spec` merged over it (`undefined` values delete fields). */
export const peer = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'metallb.io/v1beta2',
  kind: 'BGPPeer',
  metadata: meta(name),
  spec: clean({ myASN: 64500, peerASN: 64501, peerAddress: '198.51.100.1', ...spec }),
});

export const peerV1 = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPPeer',
  metadata: meta(name),
  spec: clean({ myASN: 64500, peerASN: 64501, peerAddress: '198.51.100.1', ...spec }),
});

export const bfd = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BFDProfile',
  metadata: meta(name),
  spec,
});

export const community = (name: string, aliases: Array<[string, string]>) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'Community',
  metadata: meta(name),
  spec: { communities: aliases.map(([n, value]) => ({ name: n, value })) },
});

export const secret = (name: string, type: string | undefined, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: meta(name),
  ...(type ? { type } : {}),
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

export const node = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
export const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
export const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data });

function clean(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Builds and returns the issues (empty when the configuration is valid). */
export function issuesOf(objects: unknown[], options?: BuildOptions): ConfigIssue[] {
  const r = buildConfig(objects, options);
  return r instanceof ConfigErrors ? [...r.issues] : [];
}

/** Builds and expects a valid configuration. */
export function valid(objects: unknown[], options?: BuildOptions): Config {
  const r = buildConfig(objects, options);
  if (r instanceof ConfigErrors) throw new Error(`expected a valid configuration, got:\n${r.message}`);
  return r;
}
