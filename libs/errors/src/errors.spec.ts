import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertNever, CodecDecodeError, isCodecDecodeError, UnreachableError } from './index.js';

type Shape = { kind: 'a' } | { kind: 'b' };

function area(s: Shape): number {
  switch (s.kind) {
    case 'a':
      return 1;
    case 'b':
      return 2;
    default:
      return assertNever(s, 'shape kind');
  }
}

describe('assertNever', () => {
  it('is never reached for members of the union', () => {
    expect(area({ kind: 'a' })).toBe(1);
    expect(area({ kind: 'b' })).toBe(2);
  });
  it('throws UnreachableError naming the value and the switch when a stray value arrives', () => {
    const stray = { kind: 'c' } as unknown as Shape;
    expect(() => area(stray)).toThrow(UnreachableError);
    expect(() => area(stray)).toThrow(/unexpected shape kind: kind="c"/);
  });
  it('describes primitives and unserialisable objects without throwing', () => {
    expect(() => assertNever('x' as never)).toThrow(/unexpected value: "x"/);
    expect(() => assertNever(7 as never)).toThrow(/unexpected value: 7/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => assertNever(cyclic as never)).toThrow(UnreachableError);
  });
});

describe('CodecDecodeError', () => {
  type Reason = 'truncated' | 'bad-length';
  class TestDecodeError extends CodecDecodeError<Reason> {
    override name = 'TestDecodeError';
  }
  it('keeps reason, offset and detail as fields, and puts all three in the message', () => {
    fc.assert(
      fc.property(fc.constantFrom<Reason>('truncated', 'bad-length'), fc.nat(), fc.string(), (reason, offset, detail) => {
        const e = new TestDecodeError(reason, offset, detail, 'test');
        expect([e.reason, e.offset, e.detail]).toEqual([reason, offset, detail]);
        expect(e.message).toBe(`test error at byte ${offset}: ${detail} (${reason})`);
        expect(e.name).toBe('TestDecodeError');
        expect(e).toBeInstanceOf(Error);
        expect(isCodecDecodeError(e)).toBe(true);
      }),
    );
  });
  it('leaves the global stack trace limit as it found it', () => {
    const before = Error.stackTraceLimit;
    new CodecDecodeError('truncated', 0, 'x');
    expect(Error.stackTraceLimit).toBe(before);
  });
  it('is not confused with other errors', () => {
    expect(isCodecDecodeError(new Error('x'))).toBe(false);
    expect(isCodecDecodeError({ reason: 'truncated', offset: 0, detail: '' })).toBe(false);
  });
});
