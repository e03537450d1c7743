/**
 * The Go toolchain of the lab and the programs it builds (the hashicorp/memberlist test peer,
 * libs/election's Go oracle).
 *
 * - Always `/usr/local/go/bin/go` (Go 1.26), never Debian's golang-go, with `GOTOOLCHAIN=local`.
 * - Modules come from the Go module proxy at the versions pinned in the program's `go.mod` /
 *   `go.sum` (`GOFLAGS=-mod=mod`), built in a throw-away module dir outside the clone.
 * - The binary is cached outside the clone, keyed by the program's pinned version and a hash of
 *   its sources and the Go version: `${XDG_CACHE_HOME:-~/.cache}/metallb-ts/<name>/<key>/<bin>`,
 *   so each machine builds it once. Concurrent builders each build privately and rename.
 *
 * This file imports only `node:` modules and uses only erasable TypeScript, so
 * `node tools/test-lab/src/go.ts --prebuild` runs it directly (tools/setup.sh does, as root).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one Go toolchain the lab uses. */
export const GO = '/usr/local/go/bin/go';

/** Root of the lab's per-machine cache: `${XDG_CACHE_HOME:-$HOME/.cache}/metallb-ts`. */
export function cacheRoot(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'metallb-ts');
}

/** Why Go programs cannot be built here, or undefined when they can. */
export function goSkipReason(): string | undefined {
  if (!existsSync(GO)) return `${GO} (Go 1.26) is not installed`;
  return undefined;
}

function exec(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd ?? process.cwd()}) failed: ${err.message}\n${stderr}`));
      else res(stdout);
    });
  });
}

let goVersionCache: Promise<string> | undefined;
/** `go version` of {@link GO}. */
export function goVersion(): Promise<string> {
  goVersionCache ??= exec(GO, ['version'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).then((s) => s.trim());
  return goVersionCache;
}

/** A Go program to build: a directory with `main.go` (and optionally `go.mod`/`go.sum`). */
export interface GoProgram {
  /** Cache directory name, e.g. `go-memberlist-peer`. */
  name: string;
  /** The source directory. */
  dir: string;
  /** The binary's file name. @default 'peer' */
  bin?: string;
  /** A pinned version that goes into the cache key (e.g. the memberlist version). @default 'std' */
  version?: string;
}

/** Environment for `go` invocations: local toolchain, module mode, caches outside the clone. */
export function goEnv(): NodeJS.ProcessEnv {
  const cache = cacheRoot();
  return {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GO111MODULE: 'on',
    GOFLAGS: '-mod=mod',
    GOCACHE: join(cache, 'go', 'build'),
    GOMODCACHE: join(cache, 'go', 'mod'),
    CGO_ENABLED: '0',
  };
}

/** The cache key of a program: version plus a hash of its sources and the Go version. */
export async function goCacheKey(p: GoProgram): Promise<string> {
  const h = createHash('sha256').update(await goVersion());
  for (const f of readdirSync(p.dir).sort()) {
    if (!/\.(go|mod|sum)$/.test(f)) continue;
    h.update(`\0${f}\0`).update(readFileSync(join(p.dir, f)));
  }
  return `${p.version ?? 'std'}-${h.digest('hex').slice(0, 16)}`;
}

/** Path of the cached binary of `p` (built or not). */
export async function goBinaryPath(p: GoProgram): Promise<string> {
  return join(cacheRoot(), p.name, await goCacheKey(p), p.bin ?? 'peer');
}

/**
 * Builds `p` with {@link GO} unless its binary is already cached, and returns the binary's path.
 * Throws (with go's output) when the toolchain is missing or the build fails.
 */
export async function buildGoProgram(p: GoProgram): Promise<string> {
  const why = goSkipReason();
  if (why) throw new Error(`cannot build ${p.name}: ${why}; install Go 1.26 at /usr/local/go`);
  const out = await goBinaryPath(p);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), `mts-${p.name}-`));
  try {
    for (const f of readdirSync(p.dir)) if (/\.(go|mod|sum)$/.test(f)) copyFileSync(join(p.dir, f), join(work, f));
    const env = goEnv();
    if (!existsSync(join(work, 'go.mod'))) await exec(GO, ['mod', 'init', `metallb-ts.invalid/${p.name}`], { cwd: work, env });
    const tmp = join(work, 'out.bin');
    await exec(GO, ['build', '-trimpath', '-o', tmp, '.'], { cwd: work, env });
    chmodSync(tmp, 0o755);
    // A private temp file renamed into place: concurrent builders never see a half-written binary.
    const staged = `${out}.${process.pid}.tmp`;
    copyFileSync(tmp, staged);
    chmodSync(staged, 0o755);
    renameSync(staged, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/** The directory of this repository's `tools/test-lab/go/<program>` sources. */
export function goSourceDir(program: string): string {
  const rel = join('tools', 'test-lab', 'go', program);
  const here = dirname(fileURLToPath(import.meta.url));
  const direct = resolve(here, '..', 'go', program);
  if (existsSync(join(direct, 'main.go'))) return direct;
  for (const start of [here, process.cwd()]) {
    let d = start;
    for (let i = 0; i < 12; i++) {
      if (existsSync(join(d, rel, 'main.go'))) return join(d, rel);
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  throw new Error(`cannot find ${rel}/main.go above ${here} or ${process.cwd()}; run from inside the clone`);
}

/** The hashicorp/memberlist version pinned in the peer's go.mod. */
export function memberlistVersion(dir = goSourceDir('memberlist-peer')): string {
  const m = /github\.com\/hashicorp\/memberlist (v\S+)/.exec(readFileSync(join(dir, 'go.mod'), 'utf8'));
  if (!m) throw new Error(`${dir}/go.mod does not require github.com/hashicorp/memberlist`);
  return m[1]!;
}

/** The Go memberlist peer program (tools/test-lab/go/memberlist-peer). */
export function memberlistPeerProgram(): GoProgram {
  const dir = goSourceDir('memberlist-peer');
  return { name: 'go-memberlist-peer', dir, bin: 'peer', version: `memberlist-${memberlistVersion(dir)}` };
}

/** Builds (once per machine) the Go memberlist peer and returns its binary. */
export function buildGoMemberlistPeer(): Promise<string> {
  return buildGoProgram(memberlistPeerProgram());
}

// `node tools/test-lab/src/go.ts --prebuild`: build the memberlist peer into the cache (idempotent).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes('--prebuild')) {
  buildGoMemberlistPeer().then(
    (bin) => console.error(`go memberlist peer: ${bin}`),
    (e: unknown) => {
      console.error(String(e));
      process.exitCode = 1;
    },
  );
}
