/**
 * Running a built image without a container engine: the OCI archive is unpacked into an OCI
 * runtime bundle (`umoci unpack`: `config.json` + `rootfs/`) whose `config.json` is then adjusted
 * the way a kubelet would adjust a pod's container (arguments, a network namespace to join,
 * capabilities, a read-only root, bind mounts) and run with Debian's `runc` (or `crun`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageBuildError } from './build.js';

/** The parts of an OCI runtime `config.json` we change (runtime-spec `config.md`). */
export interface RuntimeConfig {
  process: { terminal?: boolean; user: { uid: number; gid: number }; args: string[]; env?: string[]; cwd: string; capabilities?: Record<string, string[]>; noNewPrivileges?: boolean };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: { destination: string; type?: string; source?: string; options?: string[] }[];
  linux: { namespaces: { type: string; path?: string }[]; [k: string]: unknown };
  [k: string]: unknown;
}

/** How to run the container. */
export interface RunSpec {
  /** Arguments after the image's entrypoint (`node /app/main.mjs`). */
  appArgs?: readonly string[];
  /** Replaces the whole command line (entrypoint included). */
  args?: readonly string[];
  /** Join this network namespace (e.g. `/run/netns/<name>`) instead of a new one. */
  netnsPath?: string;
  /** The only capabilities left (all five sets); `[]` drops every one. Absent: as unpacked. */
  capabilities?: readonly string[];
  /** @default true (as `readOnlyRootFilesystem: true`) */
  readonlyRoot?: boolean;
  /** Read-only bind mounts. */
  binds?: readonly { source: string; destination: string }[];
  /** Extra environment. */
  env?: Readonly<Record<string, string>>;
  hostname?: string;
}

const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

/** `config` adjusted to `spec` (a new object; `config` is not changed). */
export function runtimeConfig(config: RuntimeConfig, spec: RunSpec): RuntimeConfig {
  const c = structuredClone(config);
  c.process.terminal = false;
  if (spec.args) c.process.args = [...spec.args];
  else if (spec.appArgs) c.process.args = [...c.process.args, ...spec.appArgs];
  if (spec.env) c.process.env = [...(c.process.env ?? []).filter((e) => !(e.split('=')[0]! in spec.env!)), ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)];
  if (spec.capabilities) c.process.capabilities = Object.fromEntries(CAP_SETS.map((s) => [s, [...spec.capabilities!]]));
  c.process.noNewPrivileges = true;
  c.root.readonly = spec.readonlyRoot ?? true;
  if (spec.hostname) c.hostname = spec.hostname;
  if (spec.netnsPath) c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: spec.netnsPath } : n));
  for (const b of spec.binds ?? []) c.mounts.push({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  return c;
}

/** The OCI runtime to use: `$METALLB_TS_OCI_RUNTIME`, else runc, else crun; undefined when none is installed. */
export function ociRuntime(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const want = env['METALLB_TS_OCI_RUNTIME'];
  for (const r of want ? [want] : ['runc', 'crun']) if (!spawnSync(r, ['--version'], { stdio: 'ignore' }).error) return r;
  return undefined;
}

/**
 * Unpacks `archive` (an OCI archive of tag `tag`) into `dir/bundle` (`config.json`, `rootfs/`)
 * through `dir/layout`, and returns the bundle path and its config.
 * @throws {ImageBuildError} when tar or umoci fails.
 */
export function unpackImage(archive: string, tag: string, dir: string): { bundle: string; config: RuntimeConfig } {
  const layout = join(dir, 'layout');
  const bundle = join(dir, 'bundle');
  mkdirSync(layout, { recursive: true });
  for (const [cmd, args] of [
    ['tar', ['-xf', archive, '-C', layout]],
    ['umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new ImageBuildError(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  }
  return { bundle, config: JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as RuntimeConfig };
}

/** Writes `config` as the bundle's `config.json`. */
export function writeRuntimeConfig(bundle: string, config: RuntimeConfig): void {
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}
