/**
 * The few system calls the lab makes: `ip` and `ip netns exec`, detached daemons whose PIDs are
 * recorded with their start time (so a PID reused by another program is never signalled), and
 * bounded waits. Nothing here touches the root namespace's interfaces, addresses or routes.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/** A daemon the lab started: its role, PID, start time (`/proc/PID/stat` field 22) and log file. */
export interface ProcRecord {
  readonly role: string;
  readonly pid: number;
  readonly start: string;
  readonly log: string;
  readonly ns?: string;
}

/** A command that failed, with its output. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(readonly argv: readonly string[], readonly status: number | null, readonly output: string) {
    super(`${argv.join(' ')} failed (${status ?? 'signal'}): ${output.trim().slice(0, 800)}`);
  }
}

/** Whether this process runs as root. */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The first of `paths` that exists, or a name found on PATH. */
export function which(name: string, extra: string[] = []): string | undefined {
  for (const p of extra) if (existsSync(p)) return p;
  for (const d of (process.env['PATH'] ?? '').split(':')) if (d && existsSync(`${d}/${name}`)) return `${d}/${name}`;
  for (const d of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
  return undefined;
}

/** Runs a command; throws {@link CommandError} unless it exits 0. Returns stdout. */
export function must(argv: readonly string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 15_000, input: opts.input, env: opts.env, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new CommandError(argv, r.status, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`);
  return r.stdout;
}

/** Runs a command and returns its status and output, never throwing. */
export function attempt(argv: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): { status: number | null; out: string; err: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 15_000, input: opts.input, killSignal: 'SIGKILL' });
  return { status: r.status, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** `ip …`. */
export function ip(...args: string[]): string {
  return must(['ip', ...args]);
}

/** argv run inside namespace `ns`. */
export function inNs(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** The namespaces that exist. */
export function listNamespaces(): string[] {
  const r = attempt(['ip', '-j', 'netns', 'list']);
  if (r.status !== 0 || !r.out.trim()) return [];
  return (JSON.parse(r.out) as { name: string }[]).map((n) => n.name);
}

/** The PIDs of processes inside namespace `ns` (`ip netns pids`). */
export function nsPids(ns: string): number[] {
  const r = attempt(['ip', 'netns', 'pids', ns]);
  return r.status === 0 ? r.out.split(/\s+/).filter(Boolean).map(Number) : [];
}

/** Field 22 (start time in clock ticks) of /proc/PID/stat, or undefined when the PID does not exist. */
export function startTime(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: split after the last ')'
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Whether the recorded process is still the one we started. */
export function alive(r: Pick<ProcRecord, 'pid' | 'start'>): boolean {
  return startTime(r.pid) === r.start;
}

/**
 * Starts a daemon detached (its own session: it outlives this process), output appended to
 * `log`, optionally inside namespace `ns`. `ip netns exec` execs the command, so the PID is the
 * daemon's.
 */
export function spawnDaemon(role: string, argv: readonly string[], log: string, ns?: string, env?: NodeJS.ProcessEnv): ProcRecord {
  const full = ns ? inNs(ns, argv) : [...argv];
  const fd = openSync(log, 'a');
  try {
    const child = spawn(full[0]!, full.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${role}: ${full.join(' ')}`);
    // the start time is read right away: the process exists (maybe still in `ip netns exec`)
    return { role, pid: child.pid, start: startTime(child.pid) ?? '', log, ...(ns ? { ns } : {}) };
  } finally {
    closeSync(fd);
  }
}

/** Sends `sig` to a recorded process if it is still the one we started. */
export function signal(r: Pick<ProcRecord, 'pid' | 'start'>, sig: NodeJS.Signals): boolean {
  if (!alive(r)) return false;
  try {
    process.kill(r.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(r: Pick<ProcRecord, 'pid' | 'start'>, graceMs = 3000, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!signal(r, sig)) return;
  const until = performance.now() + graceMs;
  while (alive(r) && performance.now() < until) await sleep(50);
  if (signal(r, 'SIGKILL')) for (let i = 0; i < 100 && alive(r); i++) await sleep(20);
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A bounded wait that timed out. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/** Polls `fn` until it returns a value other than undefined/false, at most `timeoutMs`. */
export async function waitUntil<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const until = performance.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; ; i++) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > until || i > timeoutMs / Math.max(everyMs, 1) * 4 + 10) break;
    await sleep(everyMs);
  }
  throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? String(last)}` : ''}`);
}

/** `sysctl -w` inside a namespace. */
export function nsSysctl(ns: string, key: string, value: string | number): void {
  must(inNs(ns, ['sysctl', '-q', '-w', `${key}=${value}`]));
}

/** Runs `execFileSync` quietly, returning '' on failure (for best-effort reads). */
export function quiet(argv: readonly string[], timeoutMs = 5000): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
