/**
 * Interop fixture: builds the Go memberlist peer (`main.go`, from
 * ../shared/reference/memberlist-go-peer.md §3) from Debian's `golang-go` and
 * `golang-github-hashicorp-memberlist-dev` in GOPATH mode, offline, into
 * `libs/memberlist/.cache/go-peer/`, and reuses the binary while `main.go` and the Go version
 * are unchanged. Also bundles our agent (`test/fixtures/agent.ts`) with esbuild.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** libs/memberlist, found by walking up (this file may also run bundled from .cache/). */
function findLibDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'test', 'go-peer', 'main.go'))) return d;
    d = dirname(d);
  }
  throw new Error('cannot locate libs/memberlist/test/go-peer/main.go');
}
export const LIB_DIR = findLibDir();
const here = join(LIB_DIR, 'test', 'go-peer');
export const CACHE_DIR = join(LIB_DIR, '.cache', 'go-peer');
const GOPATH = '/usr/share/gocode';
const MEMBERLIST_SRC = join(GOPATH, 'src/github.com/hashicorp/memberlist');

/** Either the built binaries, or why the interop tests must skip. */
export type PeerBuild = { readonly goPeer: string; readonly agent: string } | { readonly skip: string };

async function which(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${cmd}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Builds (or reuses) the Go peer and our agent. Skips only when not root or Go is missing. */
export async function buildPeers(): Promise<PeerBuild> {
  const root = process.getuid?.() === 0;
  const go = await which('go');
  if (!go || !existsSync(MEMBERLIST_SRC)) {
    const why = 'Go peer unavailable: install golang-go and golang-github-hashicorp-memberlist-dev (tools/system-deps.txt)';
    if (!root) return { skip: `${why}; not root either` };
    throw new Error(`${why}; running as root, so this is a setup error`);
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const src = join(here, 'main.go');
  const { stdout: goVersion } = await run(go, ['version']);
  const stamp = createHash('sha256').update(readFileSync(src)).update(goVersion).digest('hex');
  const bin = join(CACHE_DIR, 'mlnode');
  const stampFile = join(CACHE_DIR, 'mlnode.stamp');
  if (!existsSync(bin) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    await run(go, ['build', '-o', bin, 'main.go'], {
      cwd: here,
      env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOPROXY: 'off', GOCACHE: join(CACHE_DIR, 'gocache'), CGO_ENABLED: '0' },
      timeout: 300_000,
    });
    writeFileSync(stampFile, stamp);
  }
  const agent = await bundleAgent();
  return { goPeer: bin, agent };
}

/** Bundles `test/fixtures/agent.ts` (our node as a separate process) into the cache. */
export async function bundleAgent(): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(LIB_DIR, '.cache', 'agent.mjs');
  await build({
    entryPoints: [join(here, '..', 'fixtures', 'agent.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    conditions: ['@metallb-ts/source'],
    outfile: out,
    logLevel: 'error',
  });
  return out;
}

/** A JSON-lines event from a peer process (Go mlnode or our agent; same shape). */
export interface PeerLine {
  readonly event: string;
  readonly node?: string;
  readonly meta?: string;
  readonly text?: string;
  readonly msg?: string;
  readonly unix_ms: number;
  readonly [k: string]: unknown;
}

/** A running peer process with its parsed output. */
export class PeerProcess {
  readonly lines: PeerLine[] = [];
  private readonly waiters: Array<{ pred: (l: PeerLine) => boolean; resolve: (l: PeerLine) => void }> = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('{')) continue;
        let l: PeerLine;
        try {
          l = JSON.parse(line) as PeerLine;
        } catch {
          continue;
        }
        this.lines.push(l);
        for (const w of [...this.waiters]) {
          if (w.pred(l)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(l);
          }
        }
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  /** Resolves with the first line (past or future) matching `pred`, or rejects after `ms`. */
  waitFor(pred: (l: PeerLine) => boolean, ms: number, what = 'event'): Promise<PeerLine> {
    const hit = this.lines.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (l: PeerLine) => (clearTimeout(t), resolve(l)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no ${what} within ${ms} ms; last lines:\n${this.lines.slice(-8).map((x) => JSON.stringify(x)).join('\n')}\n${this.stderr.slice(-500)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** Sends a signal to this process (by its own handle). */
  signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }
}

/** Starts the Go peer. `args` are mlnode flags (see main.go). */
export function startGoPeer(bin: string, name: string, args: string[]): PeerProcess {
  return new PeerProcess(name, spawn(bin, ['-name', name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Starts our agent in its own Node process (so it can be `kill -9`ed). */
export function startAgent(bundle: string, name: string, args: string[]): PeerProcess {
  return new PeerProcess(name, spawn(process.execPath, [bundle, '--name', name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A random high port (the IPs are ours alone: 127.0.20.0/24). */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}
