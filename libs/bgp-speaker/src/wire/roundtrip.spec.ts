import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BgpDecodeError, decodeMessage, encodeMessage, Framer, type BgpMessage, type DecodeReason } from '../index.js';
import { message } from '../../test/arbitraries.js';

/** Every member of the closed union, once: the type checker rejects a missing or an extra key. */
const REASONS: Record<DecodeReason, true> = {
  truncated: true, 'bad-marker': true, 'bad-length': true, 'bad-type': true, 'bad-version': true, 'bad-peer-as': true,
  'bad-bgp-identifier': true, 'unsupported-parameter': true, 'bad-hold-time': true, 'bad-capability': true,
  'duplicate-attribute': true, 'unrecognized-attribute': true, 'missing-attribute': true, 'bad-attribute-flags': true,
  'bad-attribute-length': true, 'bad-origin': true, 'bad-next-hop': true, 'unsupported-family': true, 'bad-prefix': true, 'bad-as-path': true,
};

/** The one decode-error shape: a BgpDecodeError, a reason from the union, an offset inside the input. */
function expectDecodeError(e: unknown, input: Uint8Array): void {
  expect(e).toBeInstanceOf(BgpDecodeError);
  const d = e as BgpDecodeError;
  expect(Object.hasOwn(REASONS, d.reason)).toBe(true);
  expect(Number.isInteger(d.offset) && d.offset >= 0 && d.offset <= input.length).toBe(true);
  expect(d.detail.length).toBeGreaterThan(0);
}

/** UPDATE issues for valid-by-construction updates: only "missing well-known attribute". */
function semanticIssuesOnly(m: BgpMessage, issues: BgpDecodeError[]): boolean {
  return issues.every((i) => i.subcode === 3 && m.type === 'update');
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !(x instanceof Uint8Array) && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

describe('codec properties', () => {
  for (const fourOctetAs of [true, false]) {
    it(`model → bytes → model is the identity (fourOctetAs=${fourOctetAs})`, () => {
      const ctx = { fourOctetAs };
      fc.assert(
        fc.property(message(fourOctetAs), (m) => {
          deepFreeze(m); // encode must not mutate its input
          let bytes: Uint8Array;
          try {
            bytes = encodeMessage(m, ctx);
          } catch (e) {
            // Only "does not fit in 4096 bytes" is a legal refusal for these inputs.
            expect(e).toBeInstanceOf(RangeError);
            return;
          }
          const { message: back, issues } = decodeMessage(bytes, ctx);
          expect(back).toEqual(m);
          expect(semanticIssuesOnly(m, issues)).toBe(true);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('arbitrary bytes: decode throws BgpDecodeError only (reason in the union, 0 ≤ offset ≤ length), or decode∘encode∘decode = decode (100,000 inputs)', () => {
    const ctx = { fourOctetAs: true };
    // Half of the inputs get a valid header so the body decoders are exercised too.
    const withHeader = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.uint8Array({ maxLength: 120 })).map(([type, body]) => {
      const out = new Uint8Array(19 + body.length);
      out.fill(0xff, 0, 16);
      out[16] = out.length >> 8;
      out[17] = out.length & 0xff;
      out[18] = type;
      out.set(body, 19);
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(withHeader, fc.uint8Array({ maxLength: 80 })), (bytes) => {
        let first;
        try {
          first = decodeMessage(bytes, ctx);
        } catch (e) {
          expectDecodeError(e, bytes);
          return;
        }
        for (const i of first.issues) expectDecodeError(i, bytes);
        const again = decodeMessage(encodeMessage(first.message, ctx), ctx);
        expect(again.message).toEqual(first.message);
      }),
      { numRuns: 100_000 },
    );
  });

  it('arbitrary bytes: the framer throws BgpDecodeError only (reason in the union, 0 ≤ offset ≤ length)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, marker) => {
        if (marker && bytes.length >= 16) bytes.fill(0xff, 0, 16); // reach the length and type checks too
        try {
          new Framer().push(bytes);
        } catch (e) {
          expectDecodeError(e, bytes);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('the framer splits any chunking of a message stream into the same frames', () => {
    const ctx = { fourOctetAs: true };
    fc.assert(
      fc.property(fc.array(message(true), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }), (msgs, cuts) => {
        const frames = msgs.flatMap((m) => {
          try {
            return [encodeMessage(m, ctx)];
          } catch {
            return [];
          }
        });
        const stream = Buffer.concat(frames);
        const f = new Framer();
        const got: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          got.push(...f.push(stream.subarray(at, at + n)));
          at += n;
        }
        expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(frames.map((g) => Buffer.from(g).toString('hex')));
        expect(f.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
