/**
 * The level-triggered reconcile runner: workers take keys from a {@link WorkQueue} and call
 * `reconcile(key)`. Success forgets the key's failures (and requeues it after `requeueAfterMs`
 * if asked); an exception retries it with back-off; a {@link TerminalError} drops it.
 */
import type { WorkQueue } from './work-queue.js';
import type { Informer } from './informer.js';
import { objectKey, type KubeObject } from './types.js';

/** What a reconcile asks for next. */
export interface ReconcileResult {
  /** Reconcile this key again after this long, even without changes. */
  requeueAfterMs?: number;
}

/** A reconcile function: look at the current state of `key`, converge, report. */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | void> | ReconcileResult | void;

/** An error that retrying cannot fix: the key is dropped (until it changes again). */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

/** What happened to one reconcile, for logs and metrics. */
export type ReconcileOutcome =
  | { kind: 'success'; key: string; requeueAfterMs?: number }
  | { kind: 'retry'; key: string; error: Error; requeues: number }
  | { kind: 'dropped'; key: string; error: Error };

/** Options of {@link runReconciler}. */
export interface ReconcilerOptions {
  queue: WorkQueue;
  reconcile: Reconcile;
  /** Keys processed in parallel (never the same key twice). @default 1 */
  concurrency?: number;
  /** Observability hook. */
  onOutcome?(o: ReconcileOutcome): void;
}

/** A running reconciler. */
export interface RunningReconciler {
  /** Shuts the queue down, aborts in-flight reconciles' signal, and waits for the workers. */
  stop(): Promise<void>;
}

/** Starts `concurrency` workers. */
export function runReconciler(opts: ReconcilerOptions): RunningReconciler {
  const abort = new AbortController();
  const { queue } = opts;
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const r = (await opts.reconcile(key, abort.signal)) ?? {};
        queue.forget(key);
        if (r.requeueAfterMs !== undefined && r.requeueAfterMs >= 0) queue.addAfter(key, r.requeueAfterMs);
        opts.onOutcome?.({ kind: 'success', key, requeueAfterMs: r.requeueAfterMs });
      } catch (e) {
        if (e instanceof TerminalError) {
          queue.forget(key);
          opts.onOutcome?.({ kind: 'dropped', key, error: e });
        } else {
          queue.addRateLimited(key);
          opts.onOutcome?.({ kind: 'retry', key, error: e as Error, requeues: queue.numRequeues(key) });
        }
      } finally {
        queue.done(key);
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, () => worker());
  return {
    stop: async () => {
      abort.abort();
      queue.shutDown();
      await Promise.all(workers);
    },
  };
}

/**
 * Queues the key of every added, updated and deleted object of `informer` (optionally mapped,
 * e.g. an EndpointSlice to its Service's key). Returns the function that unregisters.
 */
export function enqueueChanges<T extends KubeObject>(informer: Informer<T>, queue: WorkQueue, keysOf: (o: T) => string[] = (o) => [objectKey(o)]): () => void {
  const add = (o: T) => {
    for (const k of keysOf(o)) queue.add(k);
  };
  return informer.addEventHandler({ onAdd: add, onUpdate: (_old, o) => add(o), onDelete: (o) => add(o) });
}
