/**
 * Errors of the memberlist driver (the wire codecs have their own `DecodeError`).
 */

/** Thrown by {@link Memberlist.join} when no address could be contacted. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(readonly failures: ReadonlyArray<{ address: string; error: string }>) {
    super(`failed to join any of ${failures.length} address(es): ${failures.map((f) => `${f.address}: ${f.error}`).join('; ')}`);
  }
}

/** Thrown when a stream exchange fails (timeout, remote error, bad reply). */
export class StreamError extends Error {
  override readonly name = 'StreamError';
}
