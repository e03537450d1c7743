/**
 * Builds and caches MetalLB's `controller` and `speaker` from its Go module at
 * {@link METALLB_VERSION}, like tools/kube caches Kubernetes' binaries.
 *
 * - Always `/usr/local/go/bin/go` with `GOTOOLCHAIN=local`, under `nice -n 19`, `CGO_ENABLED=0`,
 *   `-trimpath`; modules from the proxy into the shared module cache (`…/metallb-ts/go/mod`),
 *   compiled packages into the shared build cache (`…/metallb-ts/go/build`, MetalLB shares most
 *   of its dependencies with the lab's other Go programs).
 * - A throw-away module outside the clone: `require go.universe.tf/metallb vX`, a `tools.go`
 *   importing both commands, `go mod tidy`, `go build`.
 * - Cache: `${XDG_CACHE_HOME:-~/.cache}/metallb-ts/metallb/<version>-<hash>/{controller,speaker,build-info.json}`,
 *   the hash over the Go version and the build recipe, so a new Go or a new recipe builds anew.
 *   Built into a private directory and renamed into place, under `<dir>.lock` (one builder; the
 *   others wait; a lock whose holder died is taken over). go's output: `<dir>.build.log`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, GO, goEnv as labGoEnv, goSkipReason as labGoSkipReason, goVersion } from '@metallb-ts/test-lab/go';
import { buildGoMod, METALLB_COMMANDS, METALLB_MODULE, METALLB_VERSION, metallbLdflags, toolsGo, type MetallbCommand } from './versions.js';

/** Why MetalLB cannot be built here, or undefined when it can. */
export function goSkipReason(): string | undefined {
  const why = labGoSkipReason();
  return why && `no Go toolchain: ${why}, so MetalLB ${METALLB_VERSION} cannot be built`;
}

/** `<cacheRoot>/metallb`. */
export function metallbCacheDir(): string {
  return join(cacheRoot(), 'metallb');
}

/** The cache key: version and a hash of the Go version and the build recipe (pure). */
export function cacheKey(version: string, goVersionLine: string): string {
  const h = createHash('sha256').update(goVersionLine).update('\0').update(buildGoMod(version)).update('\0').update(toolsGo()).update('\0').update(metallbLdflags(version));
  return `${version}-${h.digest('hex').slice(0, 12)}`;
}

/** The cache directory of the pinned version under this machine's Go. */
export async function artifactDir(): Promise<string> {
  return join(metallbCacheDir(), cacheKey(METALLB_VERSION, await goVersion()));
}

/** Paths of MetalLB's binaries. */
export type MetallbBinaries = Record<MetallbCommand, string>;

/** What a build recorded in `build-info.json`. */
export interface BuildInfo {
  readonly version: string;
  readonly goVersion: string;
  readonly wallSeconds: number;
  readonly sizes: Record<string, number>;
  readonly builtAt: string;
}

export async function binaryPaths(): Promise<MetallbBinaries> {
  const dir = await artifactDir();
  return { controller: join(dir, 'controller'), speaker: join(dir, 'speaker') };
}

export async function buildInfo(): Promise<BuildInfo | undefined> {
  const f = join(await artifactDir(), 'build-info.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as BuildInfo) : undefined;
}

export interface EnsureOptions {
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
}

/** Builds MetalLB unless cached; returns the binaries' paths. A cached call returns at once. */
export async function ensureMetallb(opts: EnsureOptions = {}): Promise<MetallbBinaries> {
  const paths = await binaryPaths();
  if (Object.values(paths).every((p) => existsSync(p))) return paths;
  const why = goSkipReason();
  if (why) throw new Error(`${why}; install Go 1.26 at /usr/local/go (tools/setup.sh) or put the binaries at ${await artifactDir()}`);
  const log = opts.log ?? (() => {});
  const final = await artifactDir();
  mkdirSync(metallbCacheDir(), { recursive: true });
  await withLock(`${final}.lock`, log, async () => {
    if (existsSync(final)) return;
    const logFile = `${final}.build.log`;
    log(`building MetalLB ${METALLB_VERSION} (controller, speaker) with ${GO}; minutes the first time; log: ${logFile}`);
    const fd = openSync(logFile, 'a');
    const work = mkdtempSync(join(metallbCacheDir(), '.work-'));
    const started = performance.now();
    try {
      writeSync(fd, `=== ${new Date().toISOString()} build MetalLB ${METALLB_VERSION} in ${work}\n`);
      const env = goEnv();
      const goV = (await runLogged([GO, 'version'], work, env, fd, true)).trim();
      writeFileSync(join(work, 'go.mod'), buildGoMod());
      writeFileSync(join(work, 'tools.go'), toolsGo());
      await runLogged(['nice', '-n', '19', GO, 'mod', 'tidy'], work, env, fd);
      const out = join(work, 'out');
      mkdirSync(out);
      await runLogged(['nice', '-n', '19', GO, 'build', '-trimpath', `-ldflags=${metallbLdflags()}`, '-o', `${out}/`, ...METALLB_COMMANDS.map((c) => `${METALLB_MODULE}/${c}`)], work, env, fd);
      const sizes: Record<string, number> = {};
      for (const c of METALLB_COMMANDS) sizes[c] = statSync(join(out, c)).size;
      const info: BuildInfo = { version: METALLB_VERSION, goVersion: goV, wallSeconds: Math.round((performance.now() - started) / 1000), sizes, builtAt: new Date().toISOString() };
      writeFileSync(join(out, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
      renameSync(out, final);
      writeSync(fd, `=== done in ${info.wallSeconds}s: ${JSON.stringify(sizes)}\n`);
      log(`built MetalLB ${METALLB_VERSION} in ${info.wallSeconds}s → ${final}`);
    } finally {
      closeSync(fd);
      rmSync(work, { recursive: true, force: true });
    }
  });
  for (const p of Object.values(paths)) if (!existsSync(p)) throw new Error(`build finished but ${p} is missing; see ${final}.build.log`);
  return paths;
}

/** go's environment: the lab's, without VCS stamping. */
export function goEnv(): NodeJS.ProcessEnv {
  const env = labGoEnv();
  return { ...env, GOFLAGS: `${env['GOFLAGS'] ?? ''} -buildvcs=false`.trim() };
}

function runLogged(argv: string[], cwd: string, env: NodeJS.ProcessEnv, logFd: number, capture = false): Promise<string> {
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

/** Start time of a PID from `/proc/PID/stat` (field 22), or undefined when there is no such process or it is a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/);
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` holding `lock` (created exclusively with our PID and start time). While a live holder
 * has it, waits (2 s polls); a lock whose holder is gone (or whose PID now names another process)
 * is taken over.
 */
export async function withLock(lock: string, log: (line: string) => void, fn: () => Promise<void>): Promise<void> {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid: number; startTime?: string } | undefined;
      try {
        holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; startTime?: string };
      } catch {
        holder = undefined;
      }
      if (holder && processStartTime(holder.pid) !== holder.startTime) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!announced && holder) log(`waiting for pid ${holder.pid}, which is building MetalLB (lock ${lock})`);
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
