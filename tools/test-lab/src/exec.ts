/**
 * Small process helpers: run a command for its output, find a tool, temp dirs, the repo root,
 * and whether the integration tier can run here (root, tools installed).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The integration tier needs root (namespaces, raw sockets, daemons). */
export const isRoot = process.getuid?.() === 0;

/** True when `cmd` is an executable on PATH (or an absolute path that exists). */
export function haveTool(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return (process.env['PATH'] ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Kill the command after this long. @default 10000 */
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec NS …`). */
  netns?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's stdin. */
  input?: string;
}

/** Runs a command to completion and resolves its stdout; rejects with its stderr on failure. */
export function run(cmd: string, args: string[], timeoutOrOptions: number | RunOptions = {}): Promise<string> {
  const o: RunOptions = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const argv = o.netns ? ['ip', 'netns', 'exec', o.netns, cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: o.timeoutMs ?? 10_000, maxBuffer: 256 * 1024 * 1024, cwd: o.cwd, env: o.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** A fresh world-readable temp dir `mts-<prefix>-…` (daemons may drop privileges). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `mts-${prefix}-`));
  chmodSync(d, 0o755);
  return d;
}

/** Removes a directory tree; never throws. */
export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
}

/**
 * The repository root: the nearest directory above this module (or, when the module runs from a
 * bundle outside the repository, above the working directory) whose package.json is the
 * workspace root `metallb-ts`.
 */
export function repoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = start;
    for (let i = 0; i < 12; i++) {
      const pj = join(d, 'package.json');
      if (existsSync(pj)) {
        try {
          if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'metallb-ts') return d;
        } catch {
          /* not JSON: keep walking */
        }
      }
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  throw new Error(`cannot find the metallb-ts repository root above ${fileURLToPath(import.meta.url)} or ${process.cwd()}; run from inside the clone`);
}

/** Why the lab cannot run here (not Linux, not root, tools missing), or undefined when it can. */
export function labSkipReason(tools: readonly string[] = ['ip']): string | undefined {
  if (process.platform !== 'linux') return 'integration tests need Linux network namespaces';
  if (!isRoot) return 'needs root (network namespaces, raw sockets, peer daemons)';
  const missing = tools.filter((t) => !haveTool(t));
  if (missing.length) return `needs ${missing.join(', ')} (apt: tools/system-deps.txt)`;
  return undefined;
}
