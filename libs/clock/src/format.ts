/**
 * Kubernetes time texts from epoch milliseconds. Both are UTC and end in `Z`.
 * - {@link formatRfc3339}: `metav1.Time` (seconds precision), e.g. `2026-12-04T17:47:03Z`;
 * - {@link formatMicroTime}: `metav1.MicroTime` (six fractional digits), e.g.
 *   `2026-12-04T17:47:03.123000Z`, as Leases and Events carry.
 */

/** RFC 3339 at seconds precision (`metav1.Time`); fractions of a second are truncated. */
export function formatRfc3339(ms: number): string {
  return iso(ms).replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds (`metav1.MicroTime`); sub-millisecond digits are zero. */
export function formatMicroTime(ms: number): string {
  return iso(ms).replace(/\.(\d{3})Z$/, '.$1000Z');
}

function iso(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format time ${ms}: expected finite epoch milliseconds`);
  return new Date(Math.floor(ms)).toISOString();
}
