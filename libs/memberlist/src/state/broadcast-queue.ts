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
  private items: Item[] = [];
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
      const keep: Item[] = [];
      for (const it of this.items) {
        if (it.key === b.key) it.onFinished?.();
        else keep.push(it);
      }
      this.items = keep;
    }
    this.items.push({ ...b, transmits: 0, id: this.seq++ });
    if (this.items.length > this.maxDepth) {
      this.sort();
      const dropped = this.items.splice(this.maxDepth);
      for (const d of dropped) d.onFinished?.();
    }
  }

  /** Number of queued messages. */
  size(): number {
    return this.items.length;
  }

  /** Drops everything (calling `onFinished`). */
  reset(): void {
    const all = this.items;
    this.items = [];
    for (const it of all) it.onFinished?.();
  }

  private sort(): void {
    this.items.sort((a, b) => a.transmits - b.transmits || b.message.length - a.message.length || b.id - a.id);
  }

  /**
   * Takes the messages that fit in `limit` bytes, counting `overhead` bytes per message, and
   * counts one transmission for each.
   */
  take(overhead: number, limit: number): Uint8Array[] {
    if (this.items.length === 0) return [];
    const max = retransmitLimit(this.retransmitMult, this.numNodes());
    this.sort();
    const out: Uint8Array[] = [];
    let used = 0;
    const done: Item[] = [];
    for (const it of this.items) {
      const free = limit - used - overhead;
      if (free <= 0) break;
      if (it.message.length > free) continue;
      used += overhead + it.message.length;
      out.push(it.message);
      it.transmits++;
      if (it.transmits >= max) done.push(it);
    }
    if (done.length > 0) {
      const gone = new Set(done);
      this.items = this.items.filter((x) => !gone.has(x));
      for (const d of done) d.onFinished?.();
    }
    return out;
  }
}
