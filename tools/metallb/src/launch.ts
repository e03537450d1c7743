/**
 * Launches MetalLB's own controller and speaker (the cached binaries from {@link ensureMetallb})
 * outside a cluster: the process gets `KUBECONFIG`, flags that make sense without a Pod
 * (`--namespace`, `--webhook-mode=disabled` — nothing would call a webhook — and
 * `--disable-cert-rotation`, a free `--port`), and logs to a file. A speaker can run inside a
 * network namespace (`ip netns exec`), as a node does.
 *
 * Each launched process is ours: `stop()` signals exactly its PID (SIGTERM, then SIGKILL after a
 * grace period) and waits for it to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { goEnv } from './build.js';
import { METALLB_MODULE, METALLB_VERSION } from './versions.js';

/** The namespace MetalLB's objects live in (MetalLB's default manifests). */
export const DEFAULT_NAMESPACE = 'metallb-system';

/** A running MetalLB process. */
export interface MetallbProcess {
  readonly pid: number;
  /** Its HTTP port (`/metrics`). */
  readonly port: number;
  readonly logFile: string;
  /** The log so far. */
  log(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, SIGKILL after `graceMs` (default 5 s); resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Common options. */
export interface LaunchOptions {
  /** The binary (from `ensureMetallb()`). */
  binary: string;
  /** Kubeconfig the process uses (`KUBECONFIG`). */
  kubeconfig: string;
  /** Where its output goes (appended). */
  logFile: string;
  /** @default 'metallb-system' */
  namespace?: string;
  /** HTTP (metrics) port. @default a free port on 127.0.0.1 */
  port?: number;
  /** @default 'debug' */
  logLevel?: 'all' | 'debug' | 'info' | 'warn' | 'error' | 'none';
  /** `--lb-class`. */
  lbClass?: string;
  /** Extra flags appended as is. */
  extraArgs?: readonly string[];
}

/** The controller's command line (pure). */
export function controllerArgs(o: { namespace?: string; port: number; logLevel?: string; lbClass?: string; extraArgs?: readonly string[] }): string[] {
  return [
    `--namespace=${o.namespace ?? DEFAULT_NAMESPACE}`,
    `--port=${o.port}`,
    `--log-level=${o.logLevel ?? 'debug'}`,
    '--webhook-mode=disabled',
    '--disable-cert-rotation',
    ...(o.lbClass !== undefined ? [`--lb-class=${o.lbClass}`] : []),
    ...(o.extraArgs ?? []),
  ];
}

/** Options of {@link startSpeaker}. */
export interface SpeakerOptions extends LaunchOptions {
  /** `--node-name` (the Node this speaker stands for). */
  nodeName: string;
  /** `--pod-name`. @default `speaker-<nodeName>` */
  podName?: string;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** `--host`: the address its HTTP server binds. @default none (all addresses of its namespace) */
  host?: string;
  /** `--ml-bindaddr` (memberlist); empty disables memberlist. @default '' */
  mlBindAddr?: string;
  /** `--ml-bindport`. @default 7946 */
  mlBindPort?: number;
  /** `--ml-labels`, e.g. `app=metallb,component=speaker`. */
  mlLabels?: string;
}

/** The speaker's command line (pure). Native BGP (`METALLB_BGP_TYPE=native` goes in the environment). */
export function speakerArgs(o: { namespace?: string; port: number; logLevel?: string; nodeName: string; podName?: string; host?: string; mlBindAddr?: string; mlBindPort?: number; mlLabels?: string; lbClass?: string; extraArgs?: readonly string[] }): string[] {
  if (!o.nodeName) throw new Error('speakerArgs: nodeName is required (MetalLB exits without --node-name)');
  return [
    `--namespace=${o.namespace ?? DEFAULT_NAMESPACE}`,
    `--port=${o.port}`,
    `--log-level=${o.logLevel ?? 'debug'}`,
    `--node-name=${o.nodeName}`,
    `--pod-name=${o.podName ?? `speaker-${o.nodeName}`}`,
    ...(o.host ? [`--host=${o.host}`] : []),
    ...(o.mlBindAddr ? [`--ml-bindaddr=${o.mlBindAddr}`, `--ml-bindport=${o.mlBindPort ?? 7946}`] : []),
    ...(o.mlLabels ? [`--ml-labels=${o.mlLabels}`] : []),
    ...(o.lbClass !== undefined ? [`--lb-class=${o.lbClass}`] : []),
    ...(o.extraArgs ?? []),
  ];
}

/** A free TCP port on 127.0.0.1 (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts MetalLB's controller. */
export async function startController(o: LaunchOptions): Promise<MetallbProcess> {
  const port = o.port ?? (await freePort());
  return launch([o.binary, ...controllerArgs({ ...o, port })], o, port, {});
}

/** Starts MetalLB's speaker (native BGP). */
export async function startSpeaker(o: SpeakerOptions): Promise<MetallbProcess> {
  const port = o.port ?? (await freePort());
  const argv = [o.binary, ...speakerArgs({ ...o, port })];
  return launch(o.netns ? ['ip', 'netns', 'exec', o.netns, ...argv] : argv, o, port, { METALLB_BGP_TYPE: 'native' });
}

function launch(argv: string[], o: LaunchOptions, port: number, extraEnv: Record<string, string>): MetallbProcess {
  if (!existsSync(o.binary)) throw new Error(`${o.binary} does not exist; build MetalLB first (npx metallb-peer build)`);
  const fd = openSync(o.logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: o.kubeconfig, ...extraEnv };
  delete env['METALLB_NAMESPACE'];
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    pid,
    port,
    logFile: o.logFile,
    log: () => readFileSync(o.logFile, 'utf8'),
    exited,
    async stop(graceMs = 5000) {
      if (gone) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!gone) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** MetalLB's CRDs of the pinned release, from the module cache (present once MetalLB is built). */
export function metallbCrdDir(): string {
  const dir = join(goEnv()['GOMODCACHE']!, `${METALLB_MODULE}@${METALLB_VERSION}`, 'config', 'crd', 'bases');
  if (!existsSync(dir)) throw new Error(`${dir} is missing; build MetalLB first (npx metallb-peer build)`);
  return dir;
}
