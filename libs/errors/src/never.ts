/**
 * Thrown when a value a closed union said could not exist arrives anyway — a newer peer, a
 * corrupted object, or a missing `case` that the type checker was told to ignore.
 */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  constructor(
    /** The value that should have been impossible. */
    readonly value: unknown,
    /** What was being switched over, e.g. `BGP message type`. */
    readonly what: string,
  ) {
    super(`unexpected ${what}: ${describe(value)} (a case is missing from an exhaustive switch; this is a bug)`);
  }
}

/**
 * The exhaustiveness check that ends every `switch` over a closed union: it only type-checks
 * when every member has been handled, and throws {@link UnreachableError} if a value the types
 * ruled out shows up at run time.
 *
 * @example
 * switch (msg.type) {
 *   case 'open': ...; break;
 *   case 'keepalive': ...; break;
 *   default: assertNever(msg, 'BGP message type');
 * }
 */
export function assertNever(x: never, what = 'value'): never {
  throw new UnreachableError(x, what);
}

function describe(v: unknown): string {
  if (v !== null && typeof v === 'object') {
    const tagged = v as Record<string, unknown>;
    for (const k of ['kind', 'type', 'op']) if (typeof tagged[k] === 'string' || typeof tagged[k] === 'number') return `${k}=${JSON.stringify(tagged[k])}`;
    try {
      return JSON.stringify(v).slice(0, 120);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
