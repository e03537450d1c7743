/**
 * Pure naming and reaping rules of the lab (no I/O, unit-tested).
 *
 * Every network namespace the lab creates is named `tl<tag>-<pid>-<suffix>`:
 * - `tl` is the common prefix of every test-lab resource on the machine;
 * - `<tag>` names the suite (`bgp`, `cli`, `arp`…), so concurrent suites never collide;
 * - `<pid>` is the owning test process, so a later run can tell a namespace left behind by a
 *   crashed process (owner dead) from one of a run still going on (owner alive);
 * - `<suffix>` names the namespace within the suite (`r1`, `sw`, `cp`).
 *
 * Links (veths, bridges) are only ever created inside these namespaces, so they disappear with
 * them; nothing is created in the root namespace.
 */
import { assertNever } from '@metallb-ts/errors';

/** The prefix shared by every namespace the lab creates. */
export const LAB_PREFIX = 'tl';

/** Suite tags: lower-case letters and digits, 1–12 characters. */
const TAG_RE = /^[a-z0-9]{1,12}$/;
/** Namespace suffixes: letters, digits, `_`, `.`, `-`; 1–40 characters. */
const SUFFIX_RE = /^[A-Za-z0-9_.-]{1,40}$/;
/** A lab namespace name, split into its parts. */
const NAME_RE = /^tl([a-z0-9]{1,12})-(\d{1,10})-([A-Za-z0-9_.-]{1,40})$/;
/** Linux IFNAMSIZ is 16 including the terminating NUL. */
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** The parts of a lab namespace name. */
export interface LabName {
  readonly tag: string;
  readonly pid: number;
  readonly suffix: string;
}

/** Thrown for a tag, suffix or interface name the lab refuses; says what a valid one looks like. */
export class LabNameError extends Error {
  override readonly name = 'LabNameError';
  constructor(
    readonly kind: 'tag' | 'suffix' | 'ifname',
    readonly value: string,
    readonly rule: string,
  ) {
    super(`invalid ${kind} ${JSON.stringify(value)}: use ${rule}`);
  }
}

/** Checks a suite tag (throws {@link LabNameError}). */
export function checkTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw new LabNameError('tag', tag, '1–12 lower-case letters or digits, e.g. "bgp"');
  return tag;
}

/** Checks an interface name against IFNAMSIZ (throws {@link LabNameError}). */
export function checkIfName(ifName: string): string {
  if (!IFNAME_RE.test(ifName)) throw new LabNameError('ifname', ifName, '1–15 letters, digits, "_", "." or "-" (Linux IFNAMSIZ)');
  return ifName;
}

/** The namespace name for `suffix` of suite `tag` owned by process `pid`. */
export function namespaceName(tag: string, pid: number, suffix: string): string {
  checkTag(tag);
  if (!SUFFIX_RE.test(suffix)) throw new LabNameError('suffix', suffix, '1–40 letters, digits, "_", "." or "-", e.g. "r1"');
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`pid must be a positive integer, got ${pid}`);
  return `${LAB_PREFIX}${tag}-${pid}-${suffix}`;
}

/** Splits a lab namespace name, or `undefined` when the name is not one of the lab's. */
export function parseNamespaceName(name: string): LabName | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { tag: m[1]!, pid, suffix: m[3]! };
}

/** What the lab knows about the owner process of a namespace when it decides whether to reap it. */
export type OwnerState =
  /** No such process (or not visible). */
  | { readonly kind: 'gone' }
  /** The PID is a zombie: it has exited and nobody reaped it (PID 1 here does not reap orphans). */
  | { readonly kind: 'zombie' }
  /** A live process with this PID, started at `startedMs` (epoch ms, from /proc). */
  | { readonly kind: 'running'; readonly startedMs: number; readonly startTicks?: number };

/** The owner record the lab writes before creating a namespace. */
export interface OwnerRecord {
  readonly pid: number;
  /** When the owner process started (epoch ms, from /proc/<pid>/stat). */
  readonly startedMs: number;
  /**
   * The owner's start time in clock ticks since boot (field 22 of /proc/<pid>/stat). Unlike
   * `startedMs` it does not move when the wall clock is stepped, so it decides PID reuse when both
   * sides have it (regression: a clock step of a few seconds made a live owner look reused and
   * another suite's lab SIGKILLed its control plane).
   */
  readonly startTicks?: number;
}

/** Why a namespace is reaped or kept. */
export type ReapReason =
  | 'not-a-lab-name'
  | 'own-process'
  | 'owner-running'
  | 'owner-gone'
  | 'owner-zombie'
  | 'pid-reused';

/** The reaping decision for one namespace. */
export type ReapDecision = { readonly kind: 'keep'; readonly reason: ReapReason } | { readonly kind: 'reap'; readonly reason: ReapReason; readonly owner: number };

/** Slack when comparing process start times (clock-tick rounding of /proc, boot time in whole seconds). */
export const START_TIME_SLACK_MS = 2_000;

/**
 * Decides whether a namespace found on the machine is garbage.
 *
 * A namespace is reaped only when it carries the lab's name and its owner is certainly not
 * running: the PID is gone or a zombie, or the PID now belongs to a process that started after
 * the recorded owner (PID reuse, detected through the owner record). Without an owner record a
 * running PID is trusted (keep), so a run that is just creating a namespace is never disturbed.
 */
export function reapDecision(name: string, selfPid: number, owner: OwnerState, record?: OwnerRecord): ReapDecision {
  const parsed = parseNamespaceName(name);
  if (!parsed) return { kind: 'keep', reason: 'not-a-lab-name' };
  if (parsed.pid === selfPid) return { kind: 'keep', reason: 'own-process' };
  switch (owner.kind) {
    case 'gone':
      return { kind: 'reap', reason: 'owner-gone', owner: parsed.pid };
    case 'zombie':
      return { kind: 'reap', reason: 'owner-zombie', owner: parsed.pid };
    case 'running':
      if (record && record.pid === parsed.pid && (record.startTicks !== undefined && owner.startTicks !== undefined ? record.startTicks !== owner.startTicks : Math.abs(owner.startedMs - record.startedMs) > START_TIME_SLACK_MS)) {
        return { kind: 'reap', reason: 'pid-reused', owner: parsed.pid };
      }
      return { kind: 'keep', reason: 'owner-running' };
    default:
      return assertNever(owner, 'owner state');
  }
}

/** Parses the `ip netns list` output into names (it prints `name` or `name (id: N)` per line). */
export function parseNetnsList(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

/** Parses `ip netns pids NS` output into PIDs. */
export function parsePids(out: string): number[] {
  return out
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/**
 * Reads a process's state and start time from its `/proc/<pid>/stat` text.
 * `bootMs` is the boot time (epoch ms, `btime` of /proc/stat), `ticksPerSecond` is CLK_TCK.
 */
export function ownerStateFromStat(stat: string | undefined, bootMs: number, ticksPerSecond = 100): OwnerState {
  if (stat === undefined) return { kind: 'gone' };
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return { kind: 'gone' };
  const rest = stat.slice(close + 2).split(' ');
  const state = rest[0];
  if (state === 'Z' || state === 'X' || state === 'x') return { kind: 'zombie' };
  const startTicks = Number(rest[19]); // field 22 overall; rest[0] is field 3
  if (!Number.isFinite(startTicks)) return { kind: 'gone' };
  return { kind: 'running', startedMs: bootMs + (startTicks * 1000) / ticksPerSecond, startTicks };
}
