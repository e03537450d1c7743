import { describe, expect, it } from 'vitest';
import { eventLine, within } from './io.js';

describe('eventLine', () => {
  const now = new Date('2026-11-25T20:00:00.123Z');
  it('puts ts and event first, as ISO-8601', () => {
    const line = eventLine('state', { from: 'idle', to: 'connect' }, now);
    expect(line).toBe('{"ts":"2026-11-25T20:00:00.123Z","event":"state","from":"idle","to":"connect"}');
  });
  it('fields cannot override ts or event', () => {
    expect(JSON.parse(eventLine('reply', { ts: 'x', event: 'y', ip: '198.51.100.1' }, now))).toEqual({ ts: now.toISOString(), event: 'reply', ip: '198.51.100.1' });
  });
  it('renders bigints and byte arrays', () => {
    expect(JSON.parse(eventLine('notification', { n: 2n ** 64n, data: new Uint8Array([0, 0xab, 0x10]) }, now))).toMatchObject({ n: '18446744073709551616', data: '00ab10' });
  });
  it('is a single line whatever the field text', () => {
    expect(eventLine('error', { message: 'a\nb' }, now)).not.toContain('\n');
  });
});

describe('within', () => {
  it('returns the value when in time, "timeout" otherwise', async () => {
    expect(await within(Promise.resolve(7), 1000)).toBe(7);
    expect(await within(new Promise(() => undefined), 10)).toBe('timeout');
  });
});
