/**
 * Issue 15 §6: the command refuses to serve a non-loopback address without a token, unless
 * forced. (The refusal happens before anything listens: no sockets here.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLoopbackHost, main } from './cli.js';

afterEach(() => vi.restoreAllMocks());

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['198.51.100.1', false],
    ['2001:db8::1', false],
    ['example.test', false],
  ])('%s → %s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));
});

describe('regression: a non-loopback --host without --token is refused (issue 15 §6)', () => {
  it('exits 2 with one line that says what to add', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['--host', '0.0.0.0', '--port', '0'])).toBe(2);
    const text = err.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toBe('apiserver-lite: --host 0.0.0.0 is reachable from other machines: add --token TOKEN (or --insecure-allow-remote to serve without authentication)\n');
  });

  it('refuses bad --durability values', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['--durability', 'sometimes'])).toBe(2);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/--durability must be fsync, write or none, got "sometimes"/);
  });
});
