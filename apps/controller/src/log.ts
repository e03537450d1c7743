/**
 * Structured logging: one JSON object per line on stdout, MetalLB's shape
 * (`ts` RFC 3339, `level`, `msg`, plus event keys such as `op`, `service`, `ips`, `pool`).
 */
import type { LogLevel } from './flags.js';

const ORDER: Record<Exclude<LogLevel, 'all' | 'none'>, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, f?: Fields): void;
  info(msg: string, f?: Fields): void;
  warn(msg: string, f?: Fields): void;
  error(msg: string, f?: Fields): void;
  child(f: Fields): Logger;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l), base: Fields = {}): Logger {
  const min = level === 'all' ? -1 : level === 'none' ? 99 : ORDER[level];
  const emit = (lvl: keyof typeof ORDER, msg: string, f?: Fields) => {
    if (ORDER[lvl] < min) return;
    const rec: Fields = { ts: new Date().toISOString(), level: lvl, ...base, msg, ...f };
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = v.message;
    write(`${JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger(level, write, { ...base, ...f }),
  };
}
