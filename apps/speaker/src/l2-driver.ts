/**
 * The Layer 2 driver: applies the core's Layer 2 changes to an `@metallb-ts/arp-responder`
 * `Responder` (ARP and NDP answered from user space on AF_PACKET sockets, gratuitous schedule on
 * takeover, nothing answered the moment an IP is withdrawn), and reports per-IP counters, the
 * failover time, conflicts and interface changes.
 */
import type { Logger } from '@metallb-ts/app-runtime';
import { AfPacketTransport, Responder, type ConflictEvent, type LinkEvent, type ResponderEvent, type ScannedLink, type Transport, type TransportError } from '@metallb-ts/arp-responder';
import { assertNever } from '@metallb-ts/errors';
import type { Clock } from '@metallb-ts/clock';
import { IPAddress } from '@metallb-ts/netaddr';
import type { L2Changes } from './core/index.js';
import type { SpeakerMetrics } from './metrics.js';
import { includedInterfaces } from './transforms.js';

/** Options of {@link L2Driver}. */
export interface L2DriverOptions {
  log: Logger;
  clock: Clock;
  metrics?: SpeakerMetrics;
  /** @default new AfPacketTransport() */
  transport?: Transport;
  /** Another MAC answers for one of our IPs. */
  onConflict?(e: ConflictEvent): void;
  /** An interface appeared, vanished, or started/stopped answering (the caller recomputes). */
  onLinksChanged?(): void;
}

/** Link changes after which the set of answering interfaces may differ. */
const RECOMPUTE_ON: ReadonlySet<LinkEvent['change']> = new Set(['added', 'removed', 'answering', 'silent', 'up', 'down', 'carrier-up', 'carrier-down']);

/** The Layer 2 driver. */
export class L2Driver {
  private responder: Responder | undefined;
  private readonly transport: Transport;
  private exclude: readonly RegExp[] = [];
  /** IP → when this node gained it ({@link Clock.monotonic} ms), until its first gratuitous frame. */
  private readonly gainedAt = new Map<string, number>();
  /** What is registered, per Service key (to re-register after a restart). */
  private readonly registered = new Map<string, { ip: string; interfaces: readonly string[] | undefined }[]>();
  private unavailable: string | undefined;
  /** Hand-overs waiting for other hosts to claim IPs (see {@link L2Driver.awaitTakeover}). */
  private readonly takeovers = new Set<{ pending: Set<string>; done(): void }>();

  constructor(private readonly opts: L2DriverOptions) {
    this.transport = opts.transport ?? new AfPacketTransport();
  }

  /** Why Layer 2 cannot work on this host (no CAP_NET_RAW, no addon), or undefined. */
  get problem(): string | undefined {
    return this.unavailable;
  }

  /**
   * Starts answering with the given interface exclusion list. Never throws: without CAP_NET_RAW
   * or the addon, Layer 2 is unavailable (logged once, `problem` says why) and BGP keeps working.
   */
  start(exclude: readonly RegExp[]): void {
    this.exclude = exclude;
    try {
      this.responder = Responder.start({
        transport: this.transport,
        clock: this.opts.clock,
        excludeInterfaces: exclude,
        onEvent: (e) => this.onEvent(e),
        onError: (e) => this.onError(e),
      });
      this.unavailable = undefined;
    } catch (e) {
      this.unavailable = (e as Error).message;
      this.opts.log.error('Layer 2 unavailable: cannot open raw sockets; BGP keeps working', { op: 'layer2', error: this.unavailable });
      return;
    }
    for (const [key, ips] of this.registered) for (const x of ips) this.register(key, x.ip, x.interfaces);
  }

  /** A new exclusion list (the `metallb-excludel2` ConfigMap changed); registrations are kept. */
  setExclude(exclude: readonly RegExp[]): void {
    this.exclude = exclude;
    if (!this.responder) return this.start(exclude);
    for (const e of this.responder.setExcludeInterfaces(exclude)) this.onError(e);
  }

  /** This node's interface names after the exclusion list (§6.4), or undefined when unreadable. */
  interfaces(): string[] | undefined {
    try {
      return includedInterfaces(
        this.transport.listLinks().map((l) => l.name),
        this.exclude,
      );
    } catch {
      return undefined;
    }
  }

  /** Names of the interfaces answered on now (up, carrier, qualifying). */
  answering(): string[] {
    return this.responder?.activeInterfaces() ?? [];
  }

  /** The responder's last scan (carrier, use), or undefined while it is not running. */
  links(): ScannedLink[] | undefined {
    return this.responder?.links();
  }

  /** Applies a Layer 2 difference; `observedAt` ({@link Clock.monotonic}) is when its cause was seen. */
  apply(changes: L2Changes, observedAt: number): void {
    for (const ip of changes.gained) this.gainedAt.set(ip, observedAt);
    for (const key of changes.withdraw) {
      this.registered.delete(key);
      this.responder?.withdraw(key);
    }
    for (const { key, ips } of changes.announce) {
      this.registered.set(key, ips.map((x) => ({ ip: x.ip, interfaces: x.interfaces })));
      for (const x of ips) this.register(key, x.ip, x.interfaces);
    }
    // An IP gained but never sent (no usable interface) must not time a later failover.
    for (const ip of [...this.gainedAt.keys()]) if (![...this.registered.values()].some((l) => l.some((x) => x.ip === ip))) this.gainedAt.delete(ip);
  }

  /** Stops answering at once (shutdown). */
  /**
   * Resolves `'taken'` once another host has claimed every one of `ips` on the segment (its
   * gratuitous ARP / unsolicited NA, or any answer for the IP from another MAC, seen as a
   * conflict), or `'timeout'` after `timeoutMs`. A SIGTERM'd speaker keeps answering until then,
   * so clients are moved by the new owner's frames before this node falls silent.
   */
  awaitTakeover(ips: readonly string[], timeoutMs: number): Promise<'taken' | 'timeout'> {
    const pending = new Set(ips);
    if (pending.size === 0) return Promise.resolve('taken');
    return new Promise((resolve) => {
      const waiter = {
        pending,
        done: () => {
          timer.cancel();
          this.takeovers.delete(waiter);
          resolve('taken');
        },
      };
      const timer = this.opts.clock.setTimer(timeoutMs, () => {
        this.takeovers.delete(waiter);
        resolve('timeout');
      });
      this.takeovers.add(waiter);
    });
  }

  /**
   * The SIGTERM sequence: waits for the takeover of `ips` (see {@link awaitTakeover}) around
   * `leave` (leaving memberlist, closing BGP), with the waiter registered **before** leaving — the
   * new owner reacts to the leave within tens of milliseconds, often before `leave` resolves, and
   * the responder reports one MAC's claim of an IP once per hold-down, so a waiter registered
   * afterwards missed the claim and this node kept answering beside the new owner until the bound.
   * Without IPs it only leaves. Resolves how the hand-over ended (`none`: nothing to hand over).
   */
  async handOver(ips: readonly string[], leave: () => Promise<unknown>, timeoutMs: number): Promise<'taken' | 'timeout' | 'none'> {
    const takeover = ips.length > 0 ? this.awaitTakeover(ips, timeoutMs) : undefined;
    await leave();
    return takeover ? await takeover : 'none';
  }

  close(): void {
    this.responder?.close();
    this.responder = undefined;
  }

  private register(key: string, ip: string, interfaces: readonly string[] | undefined): void {
    const addr = IPAddress.tryParse(ip);
    if (!addr || !this.responder) return;
    this.responder.announce(key, addr, interfaces ? { interfaces } : {});
  }

  private onEvent(e: ResponderEvent): void {
    const m = this.opts.metrics;
    switch (e.kind) {
      case 'request-received':
        m?.l2Requests.inc({ ip: e.ip.toString() });
        return;
      case 'response-sent':
        m?.l2Responses.inc({ ip: e.ip.toString() });
        return;
      case 'gratuitous-sent': {
        const ip = e.ip.toString();
        m?.l2Gratuitous.inc({ ip });
        const t = this.gainedAt.get(ip);
        if (t !== undefined) {
          this.gainedAt.delete(ip);
          m?.failover.observe(Math.max(0, e.at - t) / 1000);
        }
        return;
      }
      case 'takeover-unicast-sent':
        return;
      case 'conflict': {
        const ip = e.ip.toString();
        for (const w of [...this.takeovers]) if (w.pending.delete(ip) && w.pending.size === 0) w.done();
        this.opts.onConflict?.(e);
        return;
      }
      case 'link':
        this.opts.log.info('interface changed', { op: 'layer2', interface: e.link.name, change: e.change, use: e.link.use.kind === 'skipped' ? e.link.use.reason : 'answering' });
        if (RECOMPUTE_ON.has(e.change)) this.opts.onLinksChanged?.();
        return;
      default:
        assertNever(e, 'responder event');
    }
  }

  private onError(e: TransportError): void {
    const level = e.kind === 'interface-down' || e.kind === 'interface-gone' ? 'info' : 'warn';
    this.opts.log[level]('layer 2 interface problem', { op: 'layer2', kind: e.kind, interface: e.ifName, error: e.message });
  }
}
