import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type BgpMessage } from '../index.js';

const dir = new URL('../../test/regressions/', import.meta.url).pathname;
const cases = readdirSync(dir).filter((f) => f.endsWith('.hex')).sort();

/** Every Uint8Array reachable from a message. */
function byteValues(x: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (x instanceof Uint8Array) out.push(x);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) byteValues(v, out);
  return out;
}

describe('regressions', () => {
  it.each(cases)('%s', (f) => {
    // Decoded from a Buffer on purpose: that is what sockets deliver.
    const bytes = Buffer.from(readFileSync(dir + f, 'utf8').trim(), 'hex');
    const ctx = { fourOctetAs: true };
    const first: BgpMessage = decodeMessage(bytes, ctx).message;
    expect(decodeMessage(encodeMessage(first, ctx), ctx).message).toEqual(first);
    for (const b of byteValues(first)) {
      expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
      expect(b.buffer).not.toBe(bytes.buffer);
    }
  });
});
