/**
 * Builds an app's OCI image without a container engine: two FROM-scratch layers made with
 * Debian's `umoci` — a runtime layer (the workspace's Node 24 binary, the shared libraries `ldd`
 * says it and the addons need, their Debian copyright files, a minimal `/etc`, `/tmp`) and an app
 * layer (`dist/apps/<app>`: the bundle and its Node-API addons) — then the image config (user,
 * entrypoint, ports, `org.opencontainers.image.*` labels). The OCI layout and its archive
 * (`<app>-<version>.oci.tar`, `podman load` / `skopeo copy oci-archive:`) are cached in
 * `${XDG_CACHE_HOME:-~/.cache}/metallb-ts/images/<key>/`, the key being a hash of everything that
 * goes in, so an unchanged bundle is not packed again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, lutimesSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_DIR,
  APP_IMAGES,
  cacheKey,
  groupFile,
  imageRef,
  librariesToCopy,
  NODE_PATH,
  NONROOT,
  nsswitchFile,
  parseLdd,
  passwdFile,
  umociConfigArgs,
  type AppName,
  type BuildMeta,
  type KeyInput,
} from './spec.js';

/** The repository root (this file is `tools/image/src/build.ts`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `${XDG_CACHE_HOME:-$HOME/.cache}/metallb-ts/images`. */
export function imageCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'metallb-ts', 'images');
}

/** A tool or input the build needs is missing; the message says how to get it. */
export class ImageBuildError extends Error {
  override readonly name = 'ImageBuildError';
}

/** Why images cannot be built here (a missing tool), or undefined when they can. */
export function imageSkipReason(): string | undefined {
  for (const [tool, pkg] of [['umoci', 'umoci'], ['tar', 'tar'], ['ldd', 'libc-bin']] as const) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} is not installed (apt-get install ${pkg}; see tools/system-deps.txt)`;
  }
  return undefined;
}

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  app: AppName;
  /** @default REPO_ROOT */
  root?: string;
  /** @default <root>/dist/apps/<app> */
  bundleDir?: string;
  /** @default <root>/node_modules/node/bin/node (the workspace's Node 24) */
  nodeBinary?: string;
  /** @default imageCacheDir() */
  cacheDir?: string;
  /** Also write `<app>-<version>.docker.tar` (`docker load`) with skopeo. @default false */
  dockerArchive?: boolean;
  log?: (line: string) => void;
}

/** A built (or cached) image. */
export interface BuiltImage {
  app: AppName;
  version: string;
  /** The tag in the OCI layout (the version). */
  tag: string;
  /** `metallb-ts/<app>:<version>`. */
  ref: string;
  /** The cache key (directory name). */
  key: string;
  /** The cache directory of this image. */
  dir: string;
  /** The OCI image layout (`umoci unpack --image <layout>:<tag>`). */
  layout: string;
  /** The OCI archive: a tar of the layout. */
  archive: string;
  /** The docker-archive, when asked for and skopeo is installed. */
  dockerArchive: string | undefined;
  /** The manifest digest (`sha256:…`). */
  digest: string;
  /** Labels as written. */
  labels: Record<string, string>;
  /** The Node binary's version inside. */
  nodeVersion: string;
  /** True when it came from the cache. */
  reused: boolean;
}

/** One file of a layer: its path in the image and where its bytes come from. */
interface LayerFile {
  path: string;
  mode: number;
  from: { file: string } | { text: string };
}

const sha256File = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sha256Text = (text: string) => createHash('sha256').update(text).digest('hex');

function run(cmd: string, args: readonly string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new ImageBuildError(`${what}: cannot run ${cmd} (${r.error.message})`);
  if (r.status !== 0) throw new ImageBuildError(`${what}: ${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** The Debian copyright files of the packages owning `libs` (their licences travel with them). */
function copyrightFiles(libs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const lib of libs) {
    for (const candidate of [lib, realpathSync(lib), `/usr${lib}`]) {
      const r = spawnSync('dpkg-query', ['-S', candidate], { encoding: 'utf8' });
      if (r.status !== 0) continue;
      const pkg = r.stdout.split(':')[0]!.trim();
      const file = `/usr/share/doc/${pkg}/copyright`;
      if (existsSync(file)) out.add(file);
      break;
    }
  }
  return [...out].sort();
}

/** The runtime layer: Node, its libraries and the addons', licences, `/etc`, `/tmp`. */
function runtimeLayer(node: string, addons: readonly string[]): { files: LayerFile[]; dirs: { path: string; mode: number; owner?: number }[]; libs: string[] } {
  const ldd = [node, ...addons].map((bin) => parseLdd(bin, run('ldd', [bin], `ldd ${bin}`)));
  const libs = librariesToCopy(ldd);
  const files: LayerFile[] = [
    { path: NODE_PATH, mode: 0o755, from: { file: node } },
    ...libs.map((l) => ({ path: l, mode: 0o755, from: { file: realpathSync(l) } })),
    ...copyrightFiles(libs).map((c) => ({ path: c, mode: 0o644, from: { file: c } })),
    { path: '/etc/passwd', mode: 0o644, from: { text: passwdFile() } },
    { path: '/etc/group', mode: 0o644, from: { text: groupFile() } },
    { path: '/etc/nsswitch.conf', mode: 0o644, from: { text: nsswitchFile() } },
  ];
  const dirs = [
    { path: '/tmp', mode: 0o1777 },
    { path: `/home/${NONROOT.name}`, mode: 0o750, owner: NONROOT.uid },
    { path: '/root', mode: 0o700 },
  ];
  return { files, dirs, libs };
}

function stage(root: string, files: readonly LayerFile[], dirs: readonly { path: string; mode: number; owner?: number }[]): void {
  const asRoot = process.getuid?.() === 0;
  for (const d of dirs) {
    const p = join(root, d.path);
    mkdirSync(p, { recursive: true });
    chmodSync(p, d.mode);
    if (asRoot && d.owner !== undefined) chownSync(p, d.owner, d.owner);
  }
  for (const f of files) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    if ('file' in f.from) copyFileSync(f.from.file, p);
    else writeFileSync(p, f.from.text);
    chmodSync(p, f.mode);
  }
}

/**
 * Every staged file and directory gets this modification time, so the tar headers — and so the
 * layer digests — depend only on content: both images share one runtime layer, and a rebuild of
 * the same inputs gives the same layers.
 */
export const LAYER_MTIME = new Date('2000-01-01T00:00:00Z');

function clampTimes(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) clampTimes(p);
    lutimesSync(p, LAYER_MTIME, LAYER_MTIME);
  }
  lutimesSync(dir, LAYER_MTIME, LAYER_MTIME);
}

function gitRevision(root: string): string | undefined {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A docker-archive (`docker load`, which reads no OCI archive before Docker 25) of `layout:tag`, named `ref`. */
function writeDockerArchive(layout: string, tag: string, file: string, ref: string): string {
  if (spawnSync('skopeo', ['--version'], { stdio: 'ignore' }).error) throw new ImageBuildError('--docker-archive needs skopeo (apt-get install skopeo; see tools/system-deps.txt)');
  rmSync(file, { force: true });
  run('skopeo', ['copy', '--quiet', `oci:${layout}:${tag}`, `docker-archive:${file}:${ref}`], 'skopeo copy (docker-archive)');
  return file;
}

/** Reads a cached image's record, or undefined when the directory is incomplete. */
function readCached(dir: string): BuiltImage | undefined {
  try {
    const img = JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as BuiltImage;
    if (!existsSync(img.archive) || !existsSync(join(img.layout, 'index.json'))) return undefined;
    return { ...img, reused: true };
  } catch {
    return undefined;
  }
}

/**
 * Builds `app`'s image from `dist/apps/<app>` (or returns the cached one with the same inputs).
 * @throws {ImageBuildError} when the bundle, the Node binary or a tool is missing, or a tool fails.
 */
export function buildImage(o: BuildImageOptions): BuiltImage {
  const log = o.log ?? (() => {});
  const root = o.root ?? REPO_ROOT;
  const img = APP_IMAGES[o.app];
  const bundleDir = o.bundleDir ?? join(root, 'dist', 'apps', o.app);
  for (const f of img.files) {
    if (!existsSync(join(bundleDir, f))) throw new ImageBuildError(`${join(bundleDir, f)} is missing: run \`npx nx run ${o.app}:build\` first`);
  }
  const nodeLink = o.nodeBinary ?? join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(nodeLink)) throw new ImageBuildError(`${nodeLink} is missing: run \`npm ci\` (the root devDependency "node" is the Node 24 put in the images)`);
  const node = realpathSync(nodeLink);
  const why = imageSkipReason();
  if (why) throw new ImageBuildError(why);
  const nodeVersion = run(node, ['--version'], 'node --version').trim().replace(/^v/, '');
  const version = (JSON.parse(readFileSync(join(root, 'apps', o.app, 'package.json'), 'utf8')) as { version: string }).version;

  const addons = img.files.filter((f) => f.endsWith('.node')).map((f) => join(bundleDir, f));
  const runtime = runtimeLayer(node, addons);
  const appFiles: LayerFile[] = img.files.map((f) => ({ path: `${APP_DIR}/${f}`, mode: f.endsWith('.node') ? 0o755 : 0o644, from: { file: join(bundleDir, f) } }));
  // Build-time facts (created, revision) stay out of the key: same bytes, same image directory.
  const fixedMeta: BuildMeta = { version, revision: undefined, created: '', nodeVersion };
  const inputs: KeyInput[] = [
    ...[...runtime.files, ...appFiles].map((f) => ({ name: `${f.mode.toString(8)} ${f.path}`, value: 'file' in f.from ? sha256File(f.from.file) : sha256Text(f.from.text) })),
    ...runtime.dirs.map((d) => ({ name: `dir ${d.mode.toString(8)} ${d.path}`, value: String(d.owner ?? 0) })),
    { name: 'config', value: JSON.stringify(umociConfigArgs(img, fixedMeta)) },
  ];
  const key = cacheKey(o.app, inputs);
  const cacheDir = o.cacheDir ?? imageCacheDir();
  const dir = join(cacheDir, key);
  const cached = readCached(dir);
  if (cached) {
    log(`${o.app}: cached image ${cached.ref} ${cached.digest} in ${dir}`);
    if (o.dockerArchive && !cached.dockerArchive) {
      const file = writeDockerArchive(cached.layout, cached.tag, join(dir, `${o.app}-${version}.docker.tar`), cached.ref);
      const updated = { ...cached, dockerArchive: file, reused: false };
      writeFileSync(join(dir, 'image.json'), `${JSON.stringify(updated, null, 2)}\n`);
      return { ...updated, reused: true };
    }
    return cached;
  }

  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.tmp-${key}-${process.pid}-${Date.now()}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const meta: BuildMeta = { version, revision: gitRevision(root), created: new Date().toISOString(), nodeVersion };
    const layout = join(tmp, 'oci');
    const tag = version;
    const image = `${layout}:${tag}`;
    const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
    log(`${o.app}: staging the runtime layer (node ${nodeVersion}, ${runtime.libs.length} libraries) and the app layer`);
    stage(join(tmp, 'runtime'), runtime.files, runtime.dirs);
    stage(join(tmp, 'app'), appFiles, [{ path: APP_DIR, mode: 0o755 }]);
    clampTimes(join(tmp, 'runtime'));
    clampTimes(join(tmp, 'app'));
    run('umoci', ['init', '--layout', layout], 'umoci init');
    run('umoci', ['new', '--image', image], 'umoci new');
    run('umoci', ['insert', ...rootless, '--image', image, '--history.created_by=tools/image: Node.js runtime (node, shared libraries, /etc)', '--history.comment=runtime', join(tmp, 'runtime'), '/'], 'umoci insert runtime');
    run('umoci', ['insert', ...rootless, '--image', image, `--history.created_by=tools/image: dist/apps/${o.app}`, '--history.comment=app', join(tmp, 'app'), '/'], 'umoci insert app');
    run('umoci', ['config', '--image', image, ...umociConfigArgs(img, meta)], 'umoci config');
    run('umoci', ['gc', '--layout', layout], 'umoci gc');
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const digest = index.manifests[0]!.digest;
    const name = `${o.app}-${version}`;
    run('tar', ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '-C', layout, '-cf', join(tmp, `${name}.oci.tar`), 'oci-layout', 'index.json', 'blobs'], 'tar (OCI archive)');
    let dockerArchive: string | undefined;
    if (o.dockerArchive) {
      writeDockerArchive(layout, tag, join(tmp, `${name}.docker.tar`), imageRef(o.app, version));
      dockerArchive = join(dir, `${name}.docker.tar`);
    }
    rmSync(join(tmp, 'runtime'), { recursive: true, force: true });
    rmSync(join(tmp, 'app'), { recursive: true, force: true });
    const built: BuiltImage = {
      app: o.app,
      version,
      tag,
      ref: imageRef(o.app, version),
      key,
      dir,
      layout: join(dir, 'oci'),
      archive: join(dir, `${name}.oci.tar`),
      dockerArchive,
      digest,
      labels: Object.fromEntries(umociConfigArgs(img, meta).filter((a) => a.startsWith('--config.label=')).map((a) => a.slice('--config.label='.length).split(/=(.*)/s).slice(0, 2) as [string, string])),
      nodeVersion,
      reused: false,
    };
    writeFileSync(join(tmp, 'image.json'), `${JSON.stringify(built, null, 2)}\n`);
    // Another builder may have finished first: keep theirs (same inputs, same content).
    const theirs = readCached(dir);
    if (theirs && (!o.dockerArchive || theirs.dockerArchive)) return theirs;
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    log(`${o.app}: built ${built.ref} ${digest} (${(statSync(built.archive).size / 1048576).toFixed(1)} MiB archive) in ${dir}`);
    return built;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every cached image directory (for `list`). */
export function cachedImages(cacheDir = imageCacheDir()): BuiltImage[] {
  if (!existsSync(cacheDir)) return [];
  return readdirSync(cacheDir)
    .filter((d) => !d.startsWith('.'))
    .flatMap((d) => {
      const c = readCached(join(cacheDir, d));
      return c ? [c] : [];
    });
}
