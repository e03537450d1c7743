/**
 * Recorded processes: what `up` writes to `DIR/pids.json` for each process it starts, how a later
 * `up`/`status`/`down` reads `/proc` to learn whether that PID is still the same process, and the
 * pure decisions on top of that. A PID is only ever signalled when its start time (field 22 of
 * `/proc/PID/stat`, in clock ticks since boot) and its command line match the record, so a PID the
 * kernel reused for something else is never touched, and nothing is ever found by name.
 */
import { readFileSync } from 'node:fs';

/** What `/proc/PID` says about a process, or undefined when there is no such PID. */
export interface ProcessSnapshot {
  readonly pid: number;
  /** One-letter state from `/proc/PID/stat` (`R`, `S`, `D`, `Z` zombie, `T`, …). */
  readonly state: string;
  /** Start time since boot in clock ticks, as a decimal string. */
  readonly startTime: string;
  /** `/proc/PID/cmdline` split on NUL. */
  readonly cmdline: readonly string[];
}

/** One process `up` started. */
export interface PidRecord {
  /** Role, e.g. `etcd`. */
  readonly name: string;
  readonly pid: number;
  /** Start time read from `/proc/PID/stat` right after spawn. */
  readonly startTime: string;
  /** The command line the process runs once started (without any `ip netns exec` prefix). */
  readonly argv: readonly string[];
}

/** Whether a recorded PID is still the process we started. */
export type RecordedState = 'running' | 'gone' | 'zombie' | 'reused';

/**
 * Parses `/proc/PID/stat`: the command name is in parentheses and may contain spaces or `)`, so
 * fields are counted from the last `)`. Returns undefined for text that is not a stat line.
 */
export function parseStat(text: string): { state: string; startTime: string } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state); starttime is field 22 → fields[19].
  const state = fields[0];
  const startTime = fields[19];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

/** Reads `/proc/PID`, or undefined when the PID does not exist (or cannot be read). */
export function readProcess(pid: number): ProcessSnapshot | undefined {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (!stat) return undefined;
    let cmdline: string[] = [];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline.at(-1) === '') cmdline.pop();
    } catch {
      cmdline = [];
    }
    return { pid, state: stat.state, startTime: stat.startTime, cmdline };
  } catch {
    return undefined;
  }
}

/**
 * Classifies a recorded PID from a fresh snapshot: `gone` (no such PID), `zombie` (exited but
 * not reaped: nothing to stop), `reused` (the PID now belongs to another process: start time or
 * command line differ — leave it alone), or `running` (ours: may be signalled).
 * A process started through `ip netns exec NS …` keeps its PID and start time when it execs the
 * real command, so the command line may be either the wrapper's or the real one; one started
 * through a script or a wrapper that execs the real program keeps its arguments under another
 * argv[0].
 */
export function classifyRecorded(rec: PidRecord, snap: ProcessSnapshot | undefined): RecordedState {
  if (!snap) return 'gone';
  if (snap.startTime !== rec.startTime) return 'reused';
  if (snap.state === 'Z' || snap.state === 'X') return 'zombie';
  // An empty command line with our start time is our process between two states the kernel does
  // not show arguments for: in the middle of execve (the new address space is installed before
  // its arguments are, a window that widens under load — `ip netns exec` execs the real program
  // right after we spawn it) or exiting (its memory already released, the zombie not yet there).
  // The start time already rules out a reused PID; the next look tells which of the two it was.
  if (snap.cmdline.length === 0) return 'running';
  if (sameArgv(snap.cmdline, rec.argv)) return 'running';
  if (snap.cmdline[0] === 'ip' && snap.cmdline[1] === 'netns' && snap.cmdline[2] === 'exec' && sameArgv(snap.cmdline.slice(4), rec.argv)) return 'running';
  // A program started through a script or wrapper shows another argv[0] (the interpreter, or the
  // program the wrapper exec'd) with the same arguments, which name this run's files.
  if (rec.argv.length > 1 && sameArgv(snap.cmdline.slice(-(rec.argv.length - 1)), rec.argv.slice(1)) && snap.cmdline.length > rec.argv.length - 1) return 'running';
  return 'reused';
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether the holder of a build lock is alive: same PID and (when recorded) start time, not a zombie. */
export function lockHolderIsAlive(holder: { pid: number; startTime?: string | undefined }, snap: ProcessSnapshot | undefined): boolean {
  if (!snap || snap.state === 'Z' || snap.state === 'X') return false;
  return holder.startTime === undefined || holder.startTime === snap.startTime;
}

/** What `up` does about a DIR that already has recorded processes. */
export type ExistingPlan =
  /** Nothing recorded or nothing left: start fresh. */
  | { readonly action: 'start' }
  /** Every recorded process is running: reuse the control plane as it is. */
  | { readonly action: 'reuse' }
  /** Some ran, some did not (a crashed or half-stopped run): stop the survivors, then start fresh. */
  | { readonly action: 'restart'; readonly stop: readonly PidRecord[] };

/**
 * Decides what `up` does given the records in DIR and their states: reuse a complete running
 * control plane, restart a partial one (stopping only processes that are verifiably ours), or
 * start fresh. `expected` names the roles a complete control plane has.
 */
export function planExisting(records: readonly PidRecord[], states: readonly RecordedState[], expected: readonly string[]): ExistingPlan {
  const running = records.filter((_, i) => states[i] === 'running');
  if (running.length === 0) return { action: 'start' };
  const complete = expected.every((name) => running.some((r) => r.name === name));
  if (complete && running.length === records.length) return { action: 'reuse' };
  return { action: 'restart', stop: running };
}
