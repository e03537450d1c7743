/**
 * Builds and caches the control plane's binaries: `kube-apiserver` and `kube-controller-manager`
 * from `k8s.io/kubernetes` at {@link KUBERNETES_VERSION}, and `etcd` from
 * `go.etcd.io/etcd/server/v3` at {@link ETCD_VERSION}.
 *
 * - Always `/usr/local/go/bin/go` with `GOTOOLCHAIN=local` (never Debian's golang-go), under
 *   `nice -n 19`, `CGO_ENABLED=0`, `-trimpath`, `-ldflags=-s -w`.
 * - Each artifact is built in a throw-away module outside the clone and cached at
 *   `${XDG_CACHE_HOME:-~/.cache}/metallb-ts/kube/<artifact>-<version>/` — built into a private
 *   temp directory and renamed into place (atomic), under a lock file (one builder per artifact;
 *   others wait, a lock left by a dead process is taken over). The go command's output goes to
 *   `<artifact>-<version>.build.log` beside it; `build-info.json` in the directory records the
 *   wall time and binary sizes. Modules come from the shared module cache; the compile cache is
 *   private to one build and deleted with it.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, GO, goEnv as labGoEnv, goSkipReason as labGoSkipReason } from '@metallb-ts/test-lab/go';
import { buildModuleGoMod, kubernetesLdflags } from './build-module.js';
import { lockHolderIsAlive, readProcess } from './pids.js';
import { ETCD_VERSION, KUBERNETES_VERSION } from './versions.js';

/** The Go toolchain, its cache root and its environment are the test lab's (one place for all Go builds; `./go` alone, because this CLI runs under Node's type stripping). */
export { GO, cacheRoot } from '@metallb-ts/test-lab/go';

/** Why the binaries cannot be built here, or undefined when they can. */
export function goSkipReason(): string | undefined {
  const why = labGoSkipReason();
  return why && `no Go toolchain: ${why}, so kube-apiserver cannot be built`;
}

/** Where the control plane's binaries are cached: `<cacheRoot>/kube`. */
export function kubeCacheDir(): string {
  return join(cacheRoot(), 'kube');
}

/** The commands built from `k8s.io/kubernetes`. */
export const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kubectl'] as const;

/** Paths of the binaries (built or not). */
export interface Binaries {
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  /** kubectl of the same release (the tests and the CLI's readiness check use it). */
  readonly kubectl: string;
  readonly etcd: string;
}

/** What gets built: a name, a version, the binaries it yields. */
export type Artifact = 'kubernetes' | 'etcd';

/** The cache directory of one artifact at its pinned version. */
export function artifactDir(artifact: Artifact): string {
  return join(kubeCacheDir(), artifact === 'kubernetes' ? `kubernetes-${KUBERNETES_VERSION}` : `etcd-${ETCD_VERSION}`);
}

/** The cached binaries' paths at the pinned versions. */
export function binaryPaths(): Binaries {
  return {
    kubeApiserver: join(artifactDir('kubernetes'), 'kube-apiserver'),
    kubeControllerManager: join(artifactDir('kubernetes'), 'kube-controller-manager'),
    kubectl: join(artifactDir('kubernetes'), 'kubectl'),
    etcd: join(artifactDir('etcd'), 'etcd'),
  };
}

/** True when every binary is cached. */
export function binariesCached(): boolean {
  return Object.values(binaryPaths()).every((p) => existsSync(p));
}

/** Environment of go invocations: the lab's (local toolchain, module mode, caches outside the clone), without VCS stamping. */
export function goEnv(): NodeJS.ProcessEnv {
  const env = labGoEnv();
  return { ...env, GOFLAGS: `${env['GOFLAGS'] ?? ''} -buildvcs=false`.trim() };
}

/** Options of {@link ensureBinaries}. */
export interface EnsureOptions {
  /** Progress lines (what is being built, where the log is). @default nothing */
  log?: (line: string) => void;
}

/** What a build recorded in `build-info.json`. */
export interface BuildInfo {
  readonly artifact: Artifact;
  readonly version: string;
  readonly goVersion: string;
  readonly wallSeconds: number;
  readonly sizes: Record<string, number>;
  readonly builtAt: string;
}

/** Reads an artifact's `build-info.json`, if built. */
export function buildInfo(artifact: Artifact): BuildInfo | undefined {
  const f = join(artifactDir(artifact), 'build-info.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as BuildInfo) : undefined;
}

/**
 * Builds whatever binary is missing (kubernetes first, then etcd) and returns their paths.
 * A second call with everything cached returns at once.
 */
export async function ensureBinaries(opts: EnsureOptions = {}): Promise<Binaries> {
  const paths = binaryPaths();
  if (binariesCached()) return paths;
  const why = goSkipReason();
  if (why) throw new Error(`${why}; install Go 1.26 at /usr/local/go (tools/setup.sh) or put the binaries at ${kubeCacheDir()}`);
  for (const artifact of ['kubernetes', 'etcd'] as const) {
    if (!existsSync(artifactDir(artifact))) await buildArtifact(artifact, opts.log ?? (() => {}));
  }
  for (const p of Object.values(paths)) if (!existsSync(p)) throw new Error(`build finished but ${p} is missing; see the .build.log files in ${kubeCacheDir()}`);
  return paths;
}

async function buildArtifact(artifact: Artifact, log: (line: string) => void): Promise<void> {
  const final = artifactDir(artifact);
  mkdirSync(kubeCacheDir(), { recursive: true });
  await withLock(`${final}.lock`, log, async () => {
    if (existsSync(final)) return; // another process built it while we waited
    const logFile = `${final}.build.log`;
    log(`building ${artifact} (${artifact === 'kubernetes' ? KUBERNETES_VERSION : ETCD_VERSION}) with ${GO}; this takes minutes the first time; log: ${logFile}`);
    const fd = openSync(logFile, 'a');
    const work = mkdtempSync(join(kubeCacheDir(), `.work-${artifact}-`));
    const started = performance.now();
    try {
      const out = join(work, 'out');
      mkdirSync(out);
      writeSync(fd, `=== ${new Date().toISOString()} build ${artifact} in ${work}\n`);
      // A private build cache, deleted with the work directory: a Kubernetes build leaves ~4 GB of
      // compiled packages that nothing else reuses (the module cache stays shared).
      const env = { ...goEnv(), GOCACHE: join(work, 'gocache') };
      const goVersion = (await runLogged([GO, 'version'], work, env, fd, true)).trim();
      const sizes: Record<string, number> = {};
      if (artifact === 'kubernetes') {
        const dl = JSON.parse(await runLogged([GO, 'mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`], work, env, fd, true)) as { GoMod?: string; Error?: string };
        if (!dl.GoMod) throw new Error(`go mod download k8s.io/kubernetes@${KUBERNETES_VERSION} failed: ${dl.Error ?? 'no GoMod'}`);
        writeFileSync(join(work, 'go.mod'), buildModuleGoMod({ kubernetesVersion: KUBERNETES_VERSION, kubernetesGoMod: readFileSync(dl.GoMod, 'utf8') }));
        const pkgs = KUBERNETES_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`);
        await runLogged(['nice', '-n', '19', GO, 'get', ...pkgs.map((p) => `${p}@${KUBERNETES_VERSION}`)], work, env, fd);
        const ldflags = kubernetesLdflags(KUBERNETES_VERSION, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
        await runLogged(['nice', '-n', '19', GO, 'build', '-trimpath', `-ldflags=${ldflags}`, '-o', `${out}/`, ...pkgs], work, env, fd);
        for (const b of KUBERNETES_COMMANDS) sizes[b] = statSync(join(out, b)).size;
      } else {
        writeFileSync(join(work, 'go.mod'), `// Generated by tools/kube (metallb-ts): builds etcd ${ETCD_VERSION}.\nmodule metallb-ts.invalid/etcd-build\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 ${ETCD_VERSION}\n`);
        await runLogged(['nice', '-n', '19', GO, 'get', `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`], work, env, fd);
        await runLogged(['nice', '-n', '19', GO, 'build', '-trimpath', '-ldflags=-s -w', '-o', join(out, 'etcd'), 'go.etcd.io/etcd/server/v3'], work, env, fd);
        sizes['etcd'] = statSync(join(out, 'etcd')).size;
      }
      const info: BuildInfo = {
        artifact,
        version: artifact === 'kubernetes' ? KUBERNETES_VERSION : ETCD_VERSION,
        goVersion,
        wallSeconds: Math.round((performance.now() - started) / 1000),
        sizes,
        builtAt: new Date().toISOString(),
      };
      writeFileSync(join(out, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
      renameSync(out, final);
      writeSync(fd, `=== done in ${info.wallSeconds}s: ${JSON.stringify(sizes)}\n`);
      log(`built ${artifact} in ${info.wallSeconds}s → ${final}`);
    } finally {
      closeSync(fd);
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/**
 * Runs one build command with its output appended to the build log `logFd` (stdout captured and
 * returned when `capture`); rejects naming the command when it fails.
 */
export function runLogged(argv: string[], cwd: string, env: NodeJS.ProcessEnv, logFd: number, capture = false): Promise<string> {
  writeSync(logFd, `$ ${argv.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', capture ? 'pipe' : logFd, logFd] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit ${code}`}) in ${cwd}; its output is in the build log`));
    });
  });
}

/**
 * Runs `fn` holding the lock file `lock` (created exclusively, holding our PID and start time).
 * While another live process holds it, waits (polling every 2 s); a lock whose holder is gone, a
 * zombie, or a different process with the same PID is taken over.
 */
export async function withLock(lock: string, log: (line: string) => void, fn: () => Promise<void>): Promise<void> {
  const me = readProcess(process.pid);
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, startTime: me?.startTime }));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; startTime?: string } | undefined;
      try {
        holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; startTime?: string };
      } catch {
        holder = undefined; // being written right now, or garbage: look again shortly
      }
      if (holder && !lockHolderIsAlive(holder, readProcess(holder.pid))) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!announced && holder) log(`waiting for pid ${holder.pid}, which is building (lock ${lock})`);
      announced = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
