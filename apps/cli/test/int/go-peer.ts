/**
 * The hashicorp/memberlist test peer of libs/memberlist (its `test/go-peer/main.go`, read only),
 * built from Debian's golang-go + golang-github-hashicorp-memberlist-dev in GOPATH mode, offline,
 * into `apps/cli/.cache/go-peer/` and reused while main.go and the Go version are unchanged.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CliProc, REPO, isRoot, haveTool } from './harness.js';

const run = promisify(execFile);
const SRC_DIR = join(REPO, 'libs/memberlist/test/go-peer');
const CACHE = join(REPO, 'apps/cli/.cache/go-peer');
const GOPATH = '/usr/share/gocode';

/** The peer binary, or why the Go-peer test must skip (only when not root). */
export async function buildGoPeer(): Promise<{ bin: string } | { skip: string }> {
  if (!haveTool('go') || !existsSync(join(GOPATH, 'src/github.com/hashicorp/memberlist')) || !existsSync(join(SRC_DIR, 'main.go'))) {
    const why = 'Go peer unavailable: needs golang-go, golang-github-hashicorp-memberlist-dev and libs/memberlist/test/go-peer/main.go';
    if (!isRoot) return { skip: why };
    throw new Error(`${why} (running as root, so this is a setup error)`);
  }
  mkdirSync(CACHE, { recursive: true });
  const { stdout: ver } = await run('go', ['version']);
  const stamp = createHash('sha256').update(readFileSync(join(SRC_DIR, 'main.go'))).update(ver).digest('hex');
  const bin = join(CACHE, 'mlnode');
  const stampFile = join(CACHE, 'mlnode.stamp');
  if (!existsSync(bin) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    await run('go', ['build', '-o', bin, 'main.go'], {
      cwd: SRC_DIR,
      env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOPROXY: 'off', GOCACHE: join(CACHE, 'gocache'), CGO_ENABLED: '0' },
      timeout: 300_000,
    });
    mkdirSync(dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, stamp);
  }
  return { bin };
}

/**
 * A Go peer process. Its stdout is the same JSON-lines shape as the CLI's (`event`, `node`,
 * `ts`), so {@link CliProc}'s parsing and waiting are reused by spawning through `spawnGo`.
 */
export class GoPeer extends CliProc {
  constructor(bin: string, name: string, args: string[]) {
    super([], { spawn: () => spawn(bin, ['-name', name, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }) });
  }
}
