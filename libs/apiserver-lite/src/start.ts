import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, type ApiServerOptions } from './http.js';
import { writeKubeconfig } from './kubeconfig.js';
import { SnapshotFile, type Durability } from './snapshot-file.js';
import type { KObject } from './store.js';

/** Options of {@link startApiServer}. */
export interface StartOptions extends Omit<ApiServerOptions, 'persistence'> {
  /** A directory of CRD YAML files (every `*.yaml`/`*.yml`, sorted) or one file, applied at start. */
  crdsDir?: string;
  /** Persist objects to this snapshot file (and its write-ahead log `FILE.log`) and load them at start. */
  snapshotFile?: string;
  /** How writes to `snapshotFile` last (see {@link Durability}). @default 'fsync' */
  durability?: Durability;
  /** Port to listen on. @default 0 (a free port) */
  port?: number;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** Where to write the kubeconfig. @default a new temporary directory */
  kubeconfigPath?: string;
  /**
   * Bearer token written to the kubeconfig instead of `token` (tests of a wrong token). A token
   * that is written is always required: without `token`, the server requires this one.
   * Without either, the kubeconfig has no token and the server requires none.
   */
  kubeconfigToken?: string;
}

/** A running server. */
export interface RunningApiServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** A kubeconfig for kubectl and client-node. */
  kubeconfigPath: string;
  /** The server, for test hooks (`closeWatches`, `compact`, `requests`) and in-process seeding (`server.api`). */
  server: ApiServer;
  /** Applies a multi-document YAML text in-process (server-side apply). */
  apply(yamlText: string): KObject[];
  /** Stops the server, writes the snapshot, removes the temporary kubeconfig directory. */
  stop(): Promise<void>;
}

/** Reads the YAML files of a directory (or one file), sorted by name. */
export function readManifests(path: string): string[] {
  if (!statSync(path).isDirectory()) return [readFileSync(path, 'utf8')];
  return readdirSync(path)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => readFileSync(join(path, f), 'utf8'));
}

/**
 * Starts an API server in-process: loads CRDs, listens, writes a kubeconfig.
 *
 * @example
 * const api = await startApiServer({ crdsDir: 'deploy/crds' });
 * // KUBECONFIG=api.kubeconfigPath kubectl get ipaddresspools -A
 * await api.stop();
 */
export async function startApiServer(opts: StartOptions = {}): Promise<RunningApiServer> {
  // A kubeconfig that carries a token promises it is needed: the server requires one whenever it writes one.
  const token = opts.token ?? opts.kubeconfigToken;
  const server = new ApiServer({ ...opts, token, persistence: opts.snapshotFile ? new SnapshotFile(opts.snapshotFile, { durability: opts.durability }) : undefined });
  if (opts.crdsDir) for (const text of readManifests(opts.crdsDir)) server.api.applyManifests(text, 'apiserver-lite');
  const url = await server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  let tmp: string | undefined;
  let kubeconfigPath = opts.kubeconfigPath;
  if (!kubeconfigPath) {
    tmp = mkdtempSync(join(tmpdir(), 'apiserver-lite-'));
    kubeconfigPath = join(tmp, 'kubeconfig');
  }
  writeKubeconfig(kubeconfigPath, { server: url, token: opts.kubeconfigToken ?? token, caData: opts.tls ? String(opts.tls.ca ?? opts.tls.cert) : undefined });
  return {
    url,
    kubeconfigPath,
    server,
    apply: (text) => server.api.applyManifests(text),
    stop: async () => {
      await server.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}
