import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock, Rng, TimerHandle } from './ports.js';

/* The one place in the libraries allowed to touch the real timers and randomness. */

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * The real clock: `Date.now`, `performance.now` and Node timers. Timers are `unref`'d so a
 * pending timer alone never keeps a process alive.
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(ms: number, fn: () => void): TimerHandle {
    const t = setInterval(fn, Math.max(1, ms));
    t.unref?.();
    return { cancel: () => clearInterval(t) };
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(t);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
});

/** Real randomness from the operating system's CSPRNG. */
export const systemRng: Rng = Object.freeze({
  next: () => randomInt(0, 2 ** 47) / 2 ** 47,
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`maxExclusive must be a positive integer, got ${maxExclusive}`);
    }
    return maxExclusive === 1 ? 0 : randomInt(0, maxExclusive);
  },
  bytes: (n: number) => new Uint8Array(randomBytes(n)),
});
