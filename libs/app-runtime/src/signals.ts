/**
 * Signal handling with bounded clean-up: the first SIGTERM or SIGINT runs the app's clean-up
 * once (later signals are ignored while it runs), and a clean-up that outlives its bound is
 * abandoned so the process can still exit before the kubelet's SIGKILL.
 */
import { systemClock, type Clock } from '@metallb-ts/clock';

/** The signals a pod receives on shutdown. */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

/** Where signals come from (the process, or a test's fake). */
export interface SignalSource {
  once(signal: ShutdownSignal, listener: () => void): unknown;
  off(signal: ShutdownSignal, listener: () => void): unknown;
}

/** How a shutdown ended. */
export type ShutdownOutcome =
  | { kind: 'clean'; signal: ShutdownSignal }
  | { kind: 'timed-out'; signal: ShutdownSignal; afterMs: number }
  | { kind: 'failed'; signal: ShutdownSignal; error: Error };

/** Options of {@link onShutdown}. */
export interface ShutdownOptions {
  /** Stops the app (release leases, stop informers, close servers). */
  cleanup(signal: ShutdownSignal): Promise<void>;
  /** Longest wait for `cleanup`. @default 20000 (inside Kubernetes' 30 s grace period) */
  timeoutMs?: number;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly ShutdownSignal[];
  /** @default process */
  source?: SignalSource;
  /** @default systemClock */
  clock?: Clock;
}

/** Exit status for a shutdown outcome: 0 when clean, 1 otherwise. */
export function exitCodeOf(o: ShutdownOutcome): 0 | 1 {
  return o.kind === 'clean' ? 0 : 1;
}

/** A registered shutdown handler. */
export interface ShutdownHandle {
  /** Settles once a signal arrived and clean-up finished, failed or timed out. */
  readonly done: Promise<ShutdownOutcome>;
  /** Runs the shutdown as if `signal` had arrived (idempotent). */
  trigger(signal: ShutdownSignal): void;
  /** Removes the signal listeners without shutting down. */
  dispose(): void;
}

/** Registers the shutdown handler. */
export function onShutdown(opts: ShutdownOptions): ShutdownHandle {
  const source = opts.source ?? (process as unknown as SignalSource);
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let started = false;
  let resolve!: (o: ShutdownOutcome) => void;
  const done = new Promise<ShutdownOutcome>((r) => (resolve = r));
  const listeners = signals.map((s) => [s, () => trigger(s)] as const);
  const dispose = () => {
    for (const [s, l] of listeners) source.off(s, l);
  };
  function trigger(signal: ShutdownSignal): void {
    if (started) return;
    started = true;
    dispose();
    const timer = clock.setTimer(timeoutMs, () => resolve({ kind: 'timed-out', signal, afterMs: timeoutMs }));
    opts.cleanup(signal).then(
      () => {
        timer.cancel();
        resolve({ kind: 'clean', signal });
      },
      (e: unknown) => {
        timer.cancel();
        resolve({ kind: 'failed', signal, error: e instanceof Error ? e : new Error(String(e)) });
      },
    );
  }
  for (const [s, l] of listeners) source.once(s, l);
  return { done, trigger, dispose };
}
