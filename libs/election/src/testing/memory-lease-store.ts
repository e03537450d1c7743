import type { Clock, Rng } from '@metallb-ts/clock';
import type { LeaseCreateResult, LeaseGetResult, LeaseRecord, LeaseStore, LeaseUpdateResult, StoredLease } from '../lease/store.js';

/** How a {@link MemoryLeaseStore.connect} client reaches the store. */
export interface LeaseLinkOptions {
  /** Time source for the delays (the simulation's true clock). */
  readonly clock: Clock;
  /** Randomness for delays and failures. */
  readonly rng: Rng;
  /** One-way delay range in ms, drawn uniformly for the request and for the response. @default [0, 0] */
  readonly latencyMs?: readonly [number, number];
  /** Probability that a call fails before reaching the store (nothing applied). @default 0 */
  readonly failBeforeRate?: number;
  /** Probability that a call is applied but its answer is lost (the caller sees an error). @default 0 */
  readonly failAfterRate?: number;
}

/** A client of the in-memory store, with fault controls. */
export interface LeaseLink extends LeaseStore {
  /** While true every call fails after the request delay (a network partition). */
  partitioned: boolean;
  /** Simulates process death: pending and future calls never settle. */
  kill(): void;
}

/** Error thrown by injected failures. */
export class InjectedStoreError extends Error {
  override readonly name = 'InjectedStoreError';
  constructor(readonly when: 'before-apply' | 'after-apply' | 'partitioned') {
    super(`injected lease store failure (${when})`);
  }
}

/** One successful write, for assertions. */
export interface LeaseWrite {
  readonly op: 'create' | 'update';
  readonly lease: StoredLease;
}

/**
 * An in-memory, linearizable Lease store with Kubernetes' optimistic concurrency: every write
 * bumps `resourceVersion`, updates with a stale version get `conflict`, creating an existing Lease
 * gets `conflict`. Used directly it answers at once; `connect()` gives clients with latency,
 * failures, partitions and death, driven by a (manual) clock.
 */
export class MemoryLeaseStore implements LeaseStore {
  private current: StoredLease | undefined;
  private version = 0;
  /** Every successful write, in order. */
  readonly writes: LeaseWrite[] = [];

  /** The stored Lease, without going through a link. */
  peek(): StoredLease | undefined {
    return this.current;
  }

  /** Overwrites the Lease (a third party writing), bumping the version. */
  put(record: LeaseRecord): StoredLease {
    this.current = { record: { ...record }, resourceVersion: String(++this.version) };
    return this.current;
  }

  /** Deletes the Lease. */
  delete(): void {
    this.current = undefined;
  }

  async get(): Promise<LeaseGetResult> {
    return this.applyGet();
  }

  async create(record: LeaseRecord): Promise<LeaseCreateResult> {
    return this.applyCreate(record);
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<LeaseUpdateResult> {
    return this.applyUpdate(record, resourceVersion);
  }

  /** A client with latency and fault injection. */
  connect(options: LeaseLinkOptions): LeaseLink {
    return new Link(this, options);
  }

  /** @internal */
  applyGet(): LeaseGetResult {
    return this.current ? { kind: 'found', lease: this.current } : { kind: 'not-found' };
  }

  /** @internal */
  applyCreate(record: LeaseRecord): LeaseCreateResult {
    if (this.current) return { kind: 'conflict' };
    const lease = this.put(record);
    this.writes.push({ op: 'create', lease });
    return { kind: 'created', lease };
  }

  /** @internal */
  applyUpdate(record: LeaseRecord, resourceVersion: string): LeaseUpdateResult {
    if (!this.current) return { kind: 'not-found' };
    if (this.current.resourceVersion !== resourceVersion) return { kind: 'conflict' };
    const lease = this.put(record);
    this.writes.push({ op: 'update', lease });
    return { kind: 'updated', lease };
  }
}

class Link implements LeaseLink {
  partitioned = false;
  private dead = false;

  constructor(
    private readonly store: MemoryLeaseStore,
    private readonly o: LeaseLinkOptions,
  ) {}

  kill(): void {
    this.dead = true;
  }

  get(signal?: AbortSignal): Promise<LeaseGetResult> {
    return this.call(() => this.store.applyGet(), signal);
  }

  create(record: LeaseRecord, signal?: AbortSignal): Promise<LeaseCreateResult> {
    const copy = { ...record };
    return this.call(() => this.store.applyCreate(copy), signal);
  }

  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<LeaseUpdateResult> {
    const copy = { ...record };
    return this.call(() => this.store.applyUpdate(copy, resourceVersion), signal);
  }

  private delay(): number {
    const [lo, hi] = this.o.latencyMs ?? [0, 0];
    return lo + this.o.rng.next() * (hi - lo);
  }

  private chance(p: number | undefined): boolean {
    return (p ?? 0) > 0 && this.o.rng.next() < p!;
  }

  private call<T>(apply: () => T, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.dead) return;
      const abort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.o.clock.setTimer(this.delay(), () => {
        if (this.dead) return;
        if (this.partitioned) return reject(new InjectedStoreError('partitioned'));
        if (this.chance(this.o.failBeforeRate)) return reject(new InjectedStoreError('before-apply'));
        const result = apply(); // applied at the store even if the caller has given up
        const lost = this.chance(this.o.failAfterRate);
        this.o.clock.setTimer(this.delay(), () => {
          if (this.dead) return;
          if (lost || this.partitioned) reject(new InjectedStoreError('after-apply'));
          else resolve(result);
        });
      });
    });
  }
}
