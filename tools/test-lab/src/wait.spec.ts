import { describe, expect, it } from 'vitest';
import { waitFor, WaitTimeoutError } from './wait.js';

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    expect(await waitFor('n to reach 3', () => (++n >= 3 ? n : undefined), { timeoutMs: 1000, everyMs: 1 })).toBe(3);
  });
  it('is bounded in attempts, and names what never happened and the last error', async () => {
    let n = 0;
    const e = await waitFor('the impossible', () => {
      n++;
      throw new Error('nope');
    }, { timeoutMs: 60_000, everyMs: 1, maxAttempts: 5 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WaitTimeoutError);
    expect(n).toBe(5);
    expect(String(e)).toMatch(/5 attempts\) waiting for the impossible: Error: nope/);
  });
  it('is bounded in time', async () => {
    const e = await waitFor('never', () => false, 20, 5).catch((x: unknown) => x);
    expect((e as WaitTimeoutError).elapsedMs).toBeGreaterThanOrEqual(20);
  });
});
