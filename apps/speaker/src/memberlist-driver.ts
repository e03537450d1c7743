/**
 * Memberlist for the Layer 2 election (§8): a `@metallb-ts/memberlist` node named after this
 * Kubernetes node, MetalLB's key derivation from the secret file, discovery of the other speakers
 * from their Pods, joins of the addresses that are not members yet, and a graceful leave on
 * shutdown. Every membership change asks the caller to recompute.
 */
import type { Fields, Logger } from '@metallb-ts/app-runtime';
import type { Clock, TimerHandle } from '@metallb-ts/clock';
import { parseMetallbMemberlistConfig, startMemberlist, type Memberlist, type Logger as MemberlistLogger } from '@metallb-ts/memberlist';
import { existsSync, readFileSync } from 'node:fs';

/** MetalLB's optional tuning file (ConfigMap `metallb-memberlist-config`). */
export const MEMBERLIST_CONFIG_FILE = '/etc/metallb/memberlist/config.json';

/** MetalLB re-joins the collected pod IPs every minute. */
export const REJOIN_INTERVAL_MS = 60_000;

/**
 * After a join that left known speakers out (they were not listening yet, or a partition), the
 * next attempt comes after 1 s, doubling up to this bound, until every known speaker is a member.
 * MetalLB requeues a failed join with backoff too; a fixed minute left two speakers started a
 * moment apart answering ARP side by side for up to a minute.
 */
export const JOIN_RETRY_MAX_MS = 15_000;
const JOIN_RETRY_FIRST_MS = 1000;

/** Options of {@link MemberlistDriver}. */
export interface MemberlistDriverOptions {
  log: Logger;
  clock: Clock;
  nodeName: string;
  bindAddr: string;
  bindPort: number;
  /** `lan`, `fast` or `wan` (`--ml-wan-config`). */
  preset: 'balanced' | 'lan' | 'fast' | 'wan';
  /** `--ml-dead-on-refused`: the library's `deadWhenRefused`, on top of the preset or tuning file. */
  deadOnRefused: boolean;
  /** `--ml-secret-key-path`; empty: unencrypted (warned). */
  secretKeyPath: string;
  /** @default MEMBERLIST_CONFIG_FILE */
  configFile?: string;
  /** Membership changed. */
  onChange(): void;
}

/**
 * Which pod IPs to join: speaker pods' IPs (not this node's own bind address) that are not the
 * address of a current member.
 */
export function joinTargets(podIPs: Iterable<string>, memberAddrs: Iterable<string>, self: string): string[] {
  const have = new Set(memberAddrs);
  return [...new Set(podIPs)].filter((ip) => ip && ip !== self && !have.has(ip)).sort();
}

/**
 * The memberlist library's log fields as the speaker prints them: the library names the peer it
 * talks about `node`, which would overwrite the speaker's own `node` field (this node's name), so
 * it becomes `member` (`memberNode` if the library already set `member`). Other fields pass as is.
 */
export function libraryFields(fields: Fields | undefined): Fields | undefined {
  if (!fields || !('node' in fields)) return fields;
  const { node, ...rest } = fields;
  return 'member' in rest ? { ...rest, memberNode: node } : { ...rest, member: node };
}

/** The memberlist library's logger port over the speaker's logger (fields through {@link libraryFields}). */
export function memberlistLogger(log: Logger): MemberlistLogger {
  return {
    debug: (m, f) => log.debug(m, libraryFields(f)),
    info: (m, f) => log.info(m, libraryFields(f)),
    warn: (m, f) => log.warn(m, libraryFields(f)),
    error: (m, f) => log.error(m, libraryFields(f)),
  };
}

/** The memberlist driver. */
export class MemberlistDriver {
  private ml: Memberlist | undefined;
  private timer: TimerHandle | undefined;
  /** The backoff retry of a join that left speakers out; `retries` counts the streak. */
  private retryTimer: TimerHandle | undefined;
  private retries = 0;
  private podIPs: readonly string[] = [];
  private joining = false;
  private stopped = false;
  /** Left because this node has no usable Layer 2 interface ({@link pause}); rejoins on {@link resume}. */
  private pausedWanted = false;
  /** Pause/resume transitions, one at a time, in order. */
  private transitions: Promise<void> = Promise.resolve();
  /** True once the first join attempt finished (whatever its outcome); reset by {@link resume}. */
  joinedOnce = false;

  constructor(private readonly opts: MemberlistDriverOptions) {}

  /** Starts the node. @throws when it cannot bind or the secret/config file is unusable. */
  async start(): Promise<void> {
    const o = this.opts;
    const file = o.configFile ?? MEMBERLIST_CONFIG_FILE;
    let tuning: ReturnType<typeof parseMetallbMemberlistConfig> | undefined;
    if (existsSync(file)) {
      tuning = parseMetallbMemberlistConfig(readFileSync(file, 'utf8'));
      o.log.info('memberlist tuning file replaces the preset', { op: 'memberlist', file });
    }
    if (!o.secretKeyPath) o.log.warn('memberlist runs unencrypted: no --ml-secret-key-path', { op: 'memberlist' });
    const log = o.log.child({ op: 'memberlist' });
    this.ml = await startMemberlist({
      name: o.nodeName,
      bind: o.bindAddr.includes(':') ? `[${o.bindAddr}]:${o.bindPort}` : `${o.bindAddr}:${o.bindPort}`,
      preset: o.preset,
      tunables: { ...(tuning?.tunables ?? {}), deadWhenRefused: o.deadOnRefused },
      ...(tuning ? { gossipVerifyIncoming: tuning.gossipVerifyIncoming, gossipVerifyOutgoing: tuning.gossipVerifyOutgoing } : {}),
      ...(o.secretKeyPath ? { secretKeyPath: o.secretKeyPath } : {}),
      clock: o.clock,
      logger: memberlistLogger(log),
      onEvent: (e) => {
        if (e.member.name !== o.nodeName) o.log.info('memberlist event', { op: 'memberlist', event: e.type, member: e.member.name, reason: e.reason });
        o.onChange();
      },
    });
    this.timer = o.clock.setInterval(REJOIN_INTERVAL_MS, () => void this.join());
    o.log.info('memberlist started', { op: 'memberlist', bind: `${o.bindAddr}:${o.bindPort}`, preset: o.preset, deadOnRefused: o.deadOnRefused, encrypted: o.secretKeyPath !== '' });
  }

  /** Live member names (alive + suspect, as MetalLB's `UsableSpeakers`); none while paused. */
  members(): string[] {
    if (this.pausedWanted) return [];
    return (this.ml?.members() ?? []).map((m) => m.name);
  }

  /** True while left on purpose ({@link pause}). */
  get paused(): boolean {
    return this.pausedWanted;
  }

  /**
   * Leaves the cluster gracefully (the other speakers see a leave and re-elect at once) and stops
   * the node, because this node cannot answer on any interface. Idempotent; {@link resume} undoes it.
   */
  pause(): Promise<void> {
    if (this.pausedWanted || this.stopped) return this.transitions;
    this.pausedWanted = true;
    this.opts.onChange();
    return this.enqueue(async () => {
      if (!this.pausedWanted || !this.ml) return;
      this.timer?.cancel();
      this.timer = undefined;
      this.cancelRetry();
      const ml = this.ml;
      this.ml = undefined;
      try {
        await ml.leave(1000);
      } catch (e) {
        this.opts.log.warn('memberlist leave failed', { op: 'memberlist', error: (e as Error).message });
      }
      await ml.shutdown();
      this.opts.log.info('memberlist left: no usable Layer 2 interface', { op: 'memberlist' });
    });
  }

  /**
   * Starts a fresh memberlist node and joins the speakers through the normal discovery path
   * (the known speaker Pod IPs); Layer 2 is held until that join attempt finished, as at start-up.
   */
  resume(): Promise<void> {
    if (!this.pausedWanted || this.stopped) return this.transitions;
    this.pausedWanted = false;
    return this.enqueue(async () => {
      if (this.pausedWanted || this.ml || this.stopped) return;
      this.joinedOnce = false;
      try {
        await this.start();
      } catch (e) {
        this.opts.log.error('memberlist could not restart; Layer 2 elects without this node', { op: 'memberlist', error: (e as Error).message });
        this.finishFirstJoin();
        return;
      }
      this.opts.onChange();
      await this.join();
    });
  }

  private enqueue(f: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(f).catch((e: unknown) => this.opts.log.error('memberlist transition failed', { op: 'memberlist', error: (e as Error)?.message ?? String(e) }));
    return this.transitions;
  }

  /** The speaker pods' IPs changed: joins the new ones. */
  setPodIPs(ips: readonly string[]): void {
    const before = this.podIPs.join(',');
    this.podIPs = [...ips].sort();
    if (this.podIPs.join(',') !== before || !this.joinedOnce) void this.join();
  }

  /** Joins every known speaker address that is not a member (MetalLB: every minute and on our Node's events). */
  async join(): Promise<void> {
    const ml = this.ml;
    if (!ml || this.joining) return;
    const targets = joinTargets(
      this.podIPs,
      ml.members().map((m) => m.addr),
      this.opts.bindAddr,
    ).map((ip) => (ip.includes(':') ? `[${ip}]:${this.opts.bindPort}` : `${ip}:${this.opts.bindPort}`));
    if (targets.length === 0) {
      this.cancelRetry();
      this.finishFirstJoin();
      return;
    }
    this.joining = true;
    let error: string | undefined;
    try {
      const n = await ml.join(targets);
      this.opts.log.info('memberlist joined', { op: 'memberlist', contacted: n, targets });
    } catch (e) {
      error = (e as Error).message;
    } finally {
      this.joining = false;
      this.finishFirstJoin();
    }
    if (this.ml !== ml || this.stopped) return;
    const missing = joinTargets(this.podIPs, ml.members().map((m) => m.addr), this.opts.bindAddr);
    if (missing.length === 0) {
      this.cancelRetry();
      return;
    }
    const delay = Math.min(JOIN_RETRY_FIRST_MS * 2 ** this.retries, JOIN_RETRY_MAX_MS);
    // The first miss of a streak is a warning; the retries that follow are debug lines.
    this.opts.log[this.retries === 0 ? 'warn' : 'debug'](error ? 'memberlist join failed; retrying' : 'memberlist join left speakers out; retrying', { op: 'memberlist', missing, retryInMs: delay, ...(error ? { error } : {}) });
    this.retries++;
    this.retryTimer?.cancel();
    this.retryTimer = this.opts.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
      void this.join();
    });
  }

  private cancelRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.retries = 0;
  }

  private finishFirstJoin(): void {
    if (this.joinedOnce) return;
    this.joinedOnce = true;
    this.opts.onChange();
  }

  /** Leaves gracefully (1 s, as MetalLB), then shuts the node down. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.transitions;
    this.timer?.cancel();
    this.cancelRetry();
    const ml = this.ml;
    this.ml = undefined;
    if (!ml) return;
    try {
      await ml.leave(1000);
    } catch (e) {
      this.opts.log.warn('memberlist leave failed', { op: 'memberlist', error: (e as Error).message });
    }
    await ml.shutdown();
  }
}
