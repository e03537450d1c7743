/**
 * Child processes of the lab: every one is spawned by the test process, captured (stdout and
 * stderr), stopped through its own handle, and killed by PID if the test process exits early.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { sleep } from './wait.js';

/** Children still running; SIGKILLed by their own handle if the test process exits early. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Spawns `argv` (inside `netns` when given) with piped stdio and registers it for clean-up at exit. */
export function spawnTracked(argv: readonly string[], opts: SpawnOptions & { netns?: string } = {}): ChildProcess {
  const { netns, ...rest } = opts;
  const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : [...argv];
  const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...rest });
  track(child);
  return child;
}

/** True while the child has neither exited nor been killed. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal`, then SIGKILL after `graceMs`, and resolves on the child's own `exit` event
 * (never by polling a PID: orphans are not reaped on these machines and zombies answer kill -0).
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** One JSON line printed by a lab process; `event` names it. */
export interface JsonLine {
  readonly event: string;
  readonly [k: string]: unknown;
}

/** Options of {@link JsonLinesProcess.waitLine}. */
export interface WaitLineOptions {
  /** @default 15000 */
  timeoutMs?: number;
  /** Words for the error message. @default 'a matching line' */
  what?: string;
  /** Only lines at index ≥ `from` count (e.g. `p.lines.length` before a command). @default 0 */
  from?: number;
}

/**
 * A long-lived child that prints one JSON object per line on stdout (our CLI, the Go memberlist
 * peer, the arp-responder fixture…). Lines are parsed as they arrive; waits are event-driven
 * and bounded in time; the last lines and stderr are shown when a wait fails.
 */
export class JsonLinesProcess<L extends JsonLine = JsonLine> {
  readonly lines: L[] = [];
  /** Stdout lines that were not JSON. */
  readonly badLines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const v = JSON.parse(line) as unknown;
          if (v && typeof v === 'object' && !Array.isArray(v)) this.lines.push(v as L);
          else this.badLines.push(line);
        } catch {
          this.badLines.push(line);
        }
      }
      this.wake();
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((r) =>
      child.once('exit', (code) => {
        this.wake();
        r(code);
      }),
    );
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** True while the process runs. */
  get running(): boolean {
    return isRunning(this.child);
  }

  /** The PID of the child (of `ip netns exec`, which execs into the command, so the same). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Writes one line to the process's stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** The last lines and stderr, for error messages. */
  tail(n = 8): string {
    return `last lines of ${this.name}:\n${this.lines.slice(-n).map((x) => JSON.stringify(x)).join('\n')}${this.badLines.length ? `\nnon-JSON: ${this.badLines.slice(-3).join(' | ')}` : ''}\nstderr: ${this.stderr.slice(-600)}`;
  }

  /**
   * Resolves with the first line (already seen or future, from index `from`) matching `pred`;
   * rejects after `timeoutMs`, or as soon as the process exits without such a line.
   */
  waitLine(pred: (l: L) => boolean, opts: WaitLineOptions = {}): Promise<L> {
    const from = opts.from ?? 0;
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const what = opts.what ?? 'a matching line';
    return new Promise<L>((resolve, reject) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.lines.length; scanned++) {
          const l = this.lines[scanned]!;
          if (pred(l)) {
            done();
            resolve(l);
            return true;
          }
        }
        if (!this.running) {
          done();
          reject(new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; ${this.tail()}`));
          return true;
        }
        return false;
      };
      const t = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; ${this.tail()}`));
      }, timeoutMs);
      const waiter = () => void check();
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      check();
    });
  }

  /** Sends a signal to this process by its own handle (no-op once it exited). */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Sends `sig` and resolves the exit code; SIGKILL after `graceMs`. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 8000): Promise<number | null> {
    await stopChild(this.child, sig, graceMs);
    return this.exited;
  }
}

/** Runs a child to completion (bounded by `timeoutMs`, then SIGKILL) and returns its output. */
export async function runChild(argv: readonly string[], opts: { netns?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawnTracked(argv, { netns: opts.netns, env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const status = await exited;
  clearTimeout(kill);
  await sleep(0);
  return { status, stdout, stderr };
}
