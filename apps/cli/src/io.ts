/**
 * The CLI's two output channels: machine-readable events (one JSON object per line on stdout,
 * each with an ISO-8601 `ts`) and human logs on stderr. Injected so tests can capture them.
 */
export interface Io {
  /** Writes one event line: `{"ts":…,"event":…,…}`. */
  emit(event: string, fields?: Record<string, unknown>): void;
  /** Writes plain text to stdout (non-event output such as `election order`). */
  out(text: string): void;
  /** Writes one human log line to stderr. */
  log(msg: string): void;
  /** Writes one error line to stderr, verbatim (the bad-arguments contract). */
  error(line: string): void;
}

/**
 * One event line (without the newline): `ts` and `event` first and never overridden by a
 * field; bigints as decimal strings, byte arrays as hex.
 */
export function eventLine(event: string, fields: Record<string, unknown>, now: Date): string {
  const ts = now.toISOString();
  return JSON.stringify(Object.assign({ ts, event }, fields, { ts, event }), (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    return v;
  });
}

/** The process's stdout/stderr. */
export const processIo: Io = {
  emit(event, fields = {}) {
    process.stdout.write(eventLine(event, fields, new Date()) + '\n');
  },
  out(text) {
    process.stdout.write(text);
  },
  log(msg) {
    process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
  },
  error(line) {
    process.stderr.write(`${line}\n`);
  },
};

/**
 * Resolves on the first SIGTERM or SIGINT (with its name), keeping the process alive until then
 * whatever else is (not) pending. A second signal while cleaning up exits at once with 130/143.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  // Signal listeners do not keep Node's event loop alive. With stdin at EOF (`< /dev/null`) and
  // only unref'd protocol timers left (a BGP session waiting to reconnect), the loop would drain
  // and the process exit 13 ("unsettled top-level await"): hold a ref'd timer until the signal.
  const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
  return new Promise((resolve) => {
    let got = false;
    const on = (sig: NodeJS.Signals) => {
      if (got) process.exit(sig === 'SIGINT' ? 130 : 143);
      got = true;
      clearInterval(keepAlive);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** Runs `p`, giving up after `ms` (cleanup must never hang the exit). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(t);
  }
}
