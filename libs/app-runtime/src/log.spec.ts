import { ManualClock } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { createLogger, LOG_LEVELS, type LogLevel } from './log.js';

function capture(level: LogLevel) {
  const lines: string[] = [];
  const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  const log = createLogger({ level, clock, write: (l) => lines.push(l) });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('JSON-lines logger', () => {
  it('one JSON object per line: ts, level, msg, then the fields', () => {
    const { log, lines } = capture('info');
    log.info('service reconciled', { op: 'x', service: 'default/web', ips: ['198.51.100.1'] });
    expect(lines).toEqual(['{"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"service reconciled","op":"x","service":"default/web","ips":["198.51.100.1"]}\n']);
  });
  it.each([
    ['all', ['debug', 'info', 'warn', 'error']],
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['none', []],
  ] as const)('level %s prints %j', (level, want) => {
    const { log, parsed } = capture(level);
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(parsed().map((r) => r.level)).toEqual(want);
  });
  it('lists every level', () => {
    expect(LOG_LEVELS).toEqual(['all', 'debug', 'info', 'warn', 'error', 'none']);
  });
  it('errors print as their message, bigints as text; child loggers add fields', () => {
    const { log, parsed } = capture('info');
    log.child({ component: 'c' }).child({ node: 'n1' }).warn('failed', { error: new Error('boom'), total: 2n ** 64n });
    expect(parsed()[0]).toEqual({ ts: '2026-01-02T03:04:05.678Z', level: 'warn', component: 'c', node: 'n1', msg: 'failed', error: 'boom', total: '18446744073709551616' });
  });
});
