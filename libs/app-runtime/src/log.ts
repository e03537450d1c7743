/**
 * Structured logging: one JSON object per line (stdout by default), MetalLB's shape — `ts`
 * (RFC 3339 with milliseconds), `level`, `msg`, then event keys such as `op`, `service`, `ips`.
 * `Error` values print as their message, bigints as decimal text.
 */
import { systemClock, type Clock } from '@metallb-ts/clock';

/** The `--log-level` values: `all` prints everything, `none` nothing. */
export const LOG_LEVELS = ['all', 'debug', 'info', 'warn', 'error', 'none'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const ORDER = { debug: 0, info: 1, warn: 2, error: 3 } as const;

/** Keys and values added to a log line. */
export type Fields = Record<string, unknown>;

/** The logger port every app component takes. */
export interface Logger {
  debug(msg: string, f?: Fields): void;
  info(msg: string, f?: Fields): void;
  warn(msg: string, f?: Fields): void;
  error(msg: string, f?: Fields): void;
  /** A logger that adds `f` to every line. */
  child(f: Fields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped. */
  level: LogLevel;
  /** Receives each line, newline included. @default process.stdout.write */
  write?: (line: string) => void;
  /** Time source of `ts`. @default systemClock */
  clock?: Clock;
  /** Fields on every line (after `level`, before `msg`). @default {} */
  fields?: Fields;
}

/** A JSON-lines {@link Logger}. */
export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((l: string) => process.stdout.write(l));
  const clock = opts.clock ?? systemClock;
  const base = opts.fields ?? {};
  const min = opts.level === 'all' ? -1 : opts.level === 'none' ? 99 : ORDER[opts.level];
  const emit = (lvl: keyof typeof ORDER, msg: string, f?: Fields) => {
    if (ORDER[lvl] < min) return;
    const rec: Fields = { ts: new Date(clock.now()).toISOString(), level: lvl, ...base, msg, ...f };
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = v.message;
    write(`${JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...opts, fields: { ...base, ...f } }),
  };
}
