/**
 * A control-plane namespace running apiserver-lite, reachable from node namespaces on one
 * layer-2 segment: the control-plane namespace holds bridge `br0` with {@link CONTROL_PLANE_DEFAULTS.address}
 * (198.51.100.1/24); each node namespace is plugged into that bridge with its own address on the
 * same /24. apiserver-lite runs as a child process inside the control-plane namespace
 * (`ip netns exec`), and the kubeconfig written for it points at the namespace address, so a
 * process started in any node namespace reaches it with `KUBECONFIG=<lab.kubeconfig>`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listeningIn } from './daemons.js';
import { removeDir, repoRoot, tempDir } from './exec.js';
import type { Lab } from './netns.js';
import { JsonLinesProcess } from './process.js';
import { waitFor } from './wait.js';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Namespace suffix. @default 'cp' */
  suffix?: string;
  /** The API server's address on the segment. @default '198.51.100.1' */
  address?: string;
  /** Prefix length of the segment. @default 24 */
  prefixLength?: number;
  /** The API server's port inside its namespace. @default 6443 */
  port?: number;
  /** CRD YAML (file or dir) loaded at start (`--crds`). */
  crds?: string;
  /** Other YAML objects (files or dirs) applied at start (`--manifests`). */
  manifests?: string[];
  /** Extra apiserver-lite flags. */
  args?: string[];
}

/** Defaults of {@link ControlPlaneOptions}. */
export const CONTROL_PLANE_DEFAULTS = { suffix: 'cp', address: '198.51.100.1', prefixLength: 24, port: 6443 } as const;

/** A running control plane. */
export interface ControlPlane {
  /** The control-plane namespace (holds `br0` and apiserver-lite). */
  readonly ns: string;
  /** `http://<address>:<port>`. */
  readonly server: string;
  /** A kubeconfig file whose server is {@link server}. */
  readonly kubeconfig: string;
  /** The apiserver-lite process (its output is in `badLines`/`stderr`). */
  readonly apiserver: JsonLinesProcess;
  /**
   * Creates node namespace `suffix` plugged into the segment with `address` (e.g.
   * `198.51.100.10`), and returns its name.
   */
  addNode(suffix: string, address: string, ifName?: string): string;
  /** Stops apiserver-lite and removes the kubeconfig dir (the namespaces go with `lab.cleanup()`). */
  stop(): Promise<void>;
}

/** The kubeconfig text for an http server (client-node needs insecure-skip-tls-verify for http). */
export function kubeconfigFor(server: string, namespace = 'default'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: lab, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: lab, user: {token: lab}}]',
    `contexts: [{name: lab, context: {cluster: lab, user: lab, namespace: ${namespace}}}]`,
    'current-context: lab',
    '',
  ].join('\n');
}

/** Creates the control-plane namespace and segment, starts apiserver-lite in it, and waits until it listens. */
export async function startControlPlane(lab: Lab, opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const o = { ...CONTROL_PLANE_DEFAULTS, ...opts };
  const ns = lab.ns(o.suffix);
  lab.bridge(ns, 'br0', [`${o.address}/${o.prefixLength}`]);
  const dir = tempDir('control-plane');
  const server = `http://${o.address}:${o.port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigFor(server));
  const bin = join(repoRoot(), 'libs', 'apiserver-lite', 'bin', 'apiserver-lite.mjs');
  // The segment exists only inside lab namespaces: serving it without a token is deliberate
  // (apiserver-lite refuses a non-loopback --host without --token unless told so).
  const argv = [process.execPath, bin, '--host', o.address, '--port', String(o.port), '--insecure-allow-remote', ...(o.crds ? ['--crds', o.crds] : []), ...(o.manifests ?? []).flatMap((m) => ['--manifests', m]), ...(o.args ?? [])];
  const apiserver = lab.process(ns, 'apiserver-lite', argv);
  try {
    // The first start may bundle apiserver-lite's sources (seconds on a busy machine).
    await waitFor(`apiserver-lite listening on ${server} in ${ns}`, () => {
      if (!apiserver.running) throw new Error('apiserver-lite exited');
      return listeningIn(ns, o.port, o.address) || undefined;
    }, { timeoutMs: 120_000, everyMs: 100 });
  } catch (e) {
    await apiserver.stop('SIGKILL', 1000);
    removeDir(dir);
    throw new Error(`apiserver-lite did not start in ${ns}: ${String(e)}\n${apiserver.badLines.join('\n')}\n${apiserver.stderr}`);
  }
  let ifSeq = 0;
  return {
    ns,
    server,
    kubeconfig,
    apiserver,
    addNode(suffix: string, address: string, ifName = 'eth0'): string {
      const node = lab.ns(suffix);
      lab.plug(ns, node, ifName, undefined, [`${address}/${o.prefixLength}`], `n${++ifSeq}`);
      return node;
    },
    async stop(): Promise<void> {
      await apiserver.stop('SIGTERM', 3000);
      removeDir(dir);
    },
  };
}
