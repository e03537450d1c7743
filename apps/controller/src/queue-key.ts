/**
 * The controller's work-queue keys as a closed union. The queue de-duplicates strings, so each
 * key has one text form (`config`, `gate`, `reprocess`, `svc/<ns>/<name>`, `pool/<name>`, also
 * what the logs show); {@link encodeKey} and {@link decodeKey} are the only places that know it.
 */
import { assertNever } from '@metallb-ts/errors';

/** One unit of work. */
export type QueueKey =
  /** Reassemble and validate the configuration. */
  | { kind: 'config' }
  /** The initial pass is done: open MetalLB's gate and replay held Service events. */
  | { kind: 'gate' }
  /** Queue every Service again (after a configuration change). */
  | { kind: 'reprocess' }
  /** Converge one Service (its service key `namespace/name`). */
  | { kind: 'service'; key: string }
  /** Write one IPAddressPool's status. */
  | { kind: 'pool'; name: string };

/** The key as the queue stores it. */
export function encodeKey(k: QueueKey): string {
  switch (k.kind) {
    case 'config':
    case 'gate':
    case 'reprocess':
      return k.kind;
    case 'service':
      return `svc/${k.key}`;
    case 'pool':
      return `pool/${k.name}`;
    default:
      return assertNever(k, 'queue key');
  }
}

/** A queue string back to its key; `undefined` for text no {@link encodeKey} produced. */
export function decodeKey(s: string): QueueKey | undefined {
  if (s === 'config' || s === 'gate' || s === 'reprocess') return { kind: s };
  if (s.startsWith('svc/') && s.length > 4) return { kind: 'service', key: s.slice(4) };
  if (s.startsWith('pool/') && s.length > 5) return { kind: 'pool', name: s.slice(5) };
  return undefined;
}

/** Shorthand for the Service key. */
export const serviceWork = (key: string): QueueKey => ({ kind: 'service', key });
