/**
 * Go `time.Duration` text (`metav1.Duration` in MetalLB's API): a sequence of decimal numbers
 * with units `ns`, `us`, `µs`, `ms`, `s`, `m`, `h` (`90s`, `1m30s`, `1.5h`, `300ms`), or `0`.
 */

const UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /([0-9]*\.?[0-9]*)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a non-negative Go duration into milliseconds (fractions of a millisecond kept).
 * Returns undefined for text Go would reject, and for negative durations.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '' || text.startsWith('-') || text.startsWith('+')) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNITS_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return total;
}

/** Formats milliseconds like Go's `Duration.String()` for whole seconds (`1m30s`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
