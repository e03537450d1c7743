import { retransmitLimit } from './math.js';

/** One queued gossip message. */
export interface QueuedBroadcast {
  /** Messages with the same key replace each other (the node name for memberlist messages). */
  readonly key: string | undefined;
  readonly message: Uint8Array;
  /** Called once when the message was sent its full count or was replaced. */
  readonly onFinished?: (() => void) | undefined;
}

interface Item extends QueuedBroadcast {
  transmits: number;
  readonly id: number;
}

/**
 * Go's `TransmitLimitedQueue`: each message is piggybacked until it has been sent
 * `retransmitLimit(mult, n)` times; fresher messages (fewer transmits) go first, then larger,
 * then newer. A new message with the same key replaces the queued one.
 */
export class BroadcastQueue {
  private items = new Set<Item>();
  private readonly byKey = new Map<string, Item>();
  private seq = 0;

  /**
   * @param retransmitMult `RetransmitMult`
   * @param numNodes current cluster size estimate
   * @param maxDepth queue bound; the oldest, most transmitted messages are dropped beyond it
   */
  constructor(
    private readonly retransmitMult: number,
    private readonly numNodes: () => number,
    private readonly maxDepth = 4096,
  ) {}

  /** Queues a message, replacing any with the same key. */
  queue(b: QueuedBroadcast): void {
    if (b.key !== undefined) {
      const old = this.byKey.get(b.key);
      if (old) {
        this.remove(old);
        old.onFinished?.();
      }
    }
    const it: Item = { ...b, transmits: 0, id: this.seq++ };
    this.items.add(it);
    if (b.key !== undefined) this.byKey.set(b.key, it);
    // Prune in batches so that a burst of messages stays O(n log n).
    if (this.items.size > this.maxDepth + (this.maxDepth >> 2)) {
      const dropped = this.sorted().slice(this.maxDepth);
      for (const d of dropped) {
        this.remove(d);
        d.onFinished?.();
      }
    }
  }

  private remove(it: Item): void {
    this.items.delete(it);
    if (it.key !== undefined && this.byKey.get(it.key) === it) this.byKey.delete(it.key);
  }

  /** Number of queued messages. */
  size(): number {
    return this.items.size;
  }

  /** Drops everything (calling `onFinished`). */
  reset(): void {
    const all = [...this.items];
    this.items.clear();
    this.byKey.clear();
    for (const it of all) it.onFinished?.();
  }

  private sorted(): Item[] {
    return [...this.items].sort((a, b) => a.transmits - b.transmits || b.message.length - a.message.length || b.id - a.id);
  }

  /**
   * Takes the messages that fit in `limit` bytes, counting `overhead` bytes per message, and
   * counts one transmission for each.
   */
  take(overhead: number, limit: number): Uint8Array[] {
    if (this.items.size === 0) return [];
    const max = retransmitLimit(this.retransmitMult, this.numNodes());
    const out: Uint8Array[] = [];
    let used = 0;
    const done: Item[] = [];
    for (const it of this.sorted()) {
      const free = limit - used - overhead;
      if (free <= 0) break;
      if (it.message.length > free) continue;
      used += overhead + it.message.length;
      out.push(it.message);
      it.transmits++;
      if (it.transmits >= max) done.push(it);
    }
    for (const d of done) this.remove(d);
    for (const d of done) d.onFinished?.();
    return out;
  }
}
