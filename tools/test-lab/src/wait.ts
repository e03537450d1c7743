/**
 * Bounded waiting: every loop of the lab ends after a number of attempts or a time budget,
 * whichever comes first, and the error names what was awaited and the last failure seen.
 */
import net from 'node:net';

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** How long and how often {@link waitFor} polls. */
export interface WaitOptions {
  /** Give up after this many milliseconds. @default 15000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 100 */
  everyMs?: number;
  /** Give up after this many attempts. @default timeoutMs / everyMs + 10 */
  maxAttempts?: number;
}

/** Defaults of {@link WaitOptions}. */
export const WAIT_DEFAULTS = { timeoutMs: 15_000, everyMs: 100 } as const;

/** Thrown when a wait runs out of time or attempts; `what` says what never happened. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    readonly what: string,
    readonly elapsedMs: number,
    readonly attempts: number,
    readonly lastError?: unknown,
  ) {
    super(`timed out after ${elapsedMs} ms (${attempts} attempts) waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
  }
}

/**
 * Polls `fn` until it returns a truthy value (resolved with it). Exceptions thrown by `fn` count
 * as "not yet" and the last one is reported on timeout. The third argument may be a timeout in
 * ms (and the fourth the interval) or a {@link WaitOptions} object.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutOrOptions: number | WaitOptions = {},
  everyMs?: number,
): Promise<T> {
  const o: WaitOptions = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions, ...(everyMs !== undefined ? { everyMs } : {}) } : timeoutOrOptions;
  const timeoutMs = o.timeoutMs ?? WAIT_DEFAULTS.timeoutMs;
  const every = o.everyMs ?? WAIT_DEFAULTS.everyMs;
  const maxAttempts = o.maxAttempts ?? Math.ceil(timeoutMs / Math.max(1, every)) + 10;
  const start = Date.now();
  let last: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs || attempt >= maxAttempts) throw new WaitTimeoutError(what, elapsed, attempt, last);
    await sleep(Math.min(every, Math.max(1, timeoutMs - elapsed)));
  }
}

/** One TCP connect attempt; true when something accepted it. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** Waits until something accepts TCP on `host:port` (in this process's namespace). */
export function waitListening(host: string, port: number, timeoutMs = 10_000): Promise<true> {
  return waitFor(`${host}:${port} listening`, async () => (await canConnect(host, port)) || undefined, { timeoutMs, everyMs: 25 }) as Promise<true>;
}
