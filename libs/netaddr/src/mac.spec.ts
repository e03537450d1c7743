import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddrParseError, MacAddress } from './index.js';

describe('MacAddress', () => {
  it('parses colon and dash forms, prints lower-case colons', () => {
    expect(MacAddress.parse('02:00:5E:10:00:01').toString()).toBe('02:00:5e:10:00:01');
    expect(MacAddress.parse('02-00-5e-10-00-01').toString()).toBe('02:00:5e:10:00:01');
  });
  it.each(['', '02:00:5e:10:00', '02:00:5e:10:00:01:02', '0g:00:00:00:00:00', '02:00-5e:10:00:01', '020:0:5e:10:00:01'])(
    'rejects %j',
    (s) => {
      expect(() => MacAddress.parse(s)).toThrow(AddrParseError);
      expect(MacAddress.tryParse(s)).toBeUndefined();
    },
  );
  it('knows broadcast and multicast', () => {
    expect(MacAddress.BROADCAST.isBroadcast()).toBe(true);
    expect(MacAddress.parse('33:33:ff:00:00:01').isMulticast()).toBe(true);
    expect(MacAddress.parse('02:00:00:00:00:01').isMulticast()).toBe(false);
  });
  it('round trips through text and bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        const m = MacAddress.fromBytes(b);
        expect(MacAddress.parse(m.toString()).equals(m)).toBe(true);
        expect(Array.from(m.toBytes())).toEqual(Array.from(b));
      }),
    );
  });
  it('copies its input bytes', () => {
    const b = new Uint8Array([2, 0, 0, 0, 0, 1]);
    const m = MacAddress.fromBytes(b);
    b[5] = 9;
    expect(m.toString()).toBe('02:00:00:00:00:01');
  });
});
