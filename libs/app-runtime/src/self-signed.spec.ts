import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { der, selfSignedCertificate } from './self-signed.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('der encoders (X.690)', () => {
  it('lengths: short form below 128, long form from 128 on', () => {
    expect(hex(der.tlv(0x04, new Uint8Array(0)))).toBe('0400');
    expect(hex(der.tlv(0x04, new Uint8Array(127))).slice(0, 4)).toBe('047f');
    expect(hex(der.tlv(0x04, new Uint8Array(128))).slice(0, 6)).toBe('048180');
    expect(hex(der.tlv(0x04, new Uint8Array(256))).slice(0, 8)).toBe('04820100');
    expect(hex(der.tlv(0x04, new Uint8Array(65536))).slice(0, 10)).toBe('0483010000');
  });

  it('integers are minimal and positive', () => {
    expect(hex(der.smallInteger(0))).toBe('020100');
    expect(hex(der.smallInteger(2))).toBe('020102');
    expect(hex(der.smallInteger(127))).toBe('02017f');
    expect(hex(der.smallInteger(128))).toBe('02020080'); // top bit set: a leading 0 keeps it positive
    expect(hex(der.smallInteger(256))).toBe('02020100');
    expect(hex(der.unsignedInteger(Uint8Array.of(0, 0, 5)))).toBe('020105'); // leading zeros dropped
    expect(hex(der.unsignedInteger(Uint8Array.of(0, 0x80)))).toBe('02020080');
  });

  it('object identifiers: 40·a+b, then base-128 arcs', () => {
    expect(hex(der.oid('2.5.4.3'))).toBe('0603550403');
    expect(hex(der.oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(der.oid('1.3.6.1.5.5.7.3.1'))).toBe('06082b06010505070301');
    expect(() => der.oid('1')).toThrow(/not an object identifier/);
    expect(() => der.oid('1.x.3')).toThrow(/not an object identifier/);
  });

  it('times: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    const ascii = (b: Uint8Array) => Buffer.from(b.subarray(2)).toString('latin1');
    const t1 = der.time(Date.UTC(2049, 11, 31, 23, 59, 59, 999));
    expect(t1[0]).toBe(0x17);
    expect(ascii(t1)).toBe('491231235959Z');
    const t2 = der.time(Date.UTC(2050, 0, 1, 0, 0, 0));
    expect(t2[0]).toBe(0x18);
    expect(ascii(t2)).toBe('20500101000000Z');
  });

  it('booleans, bit strings, explicit and implicit tags', () => {
    expect(hex(der.boolean(true))).toBe('0101ff');
    expect(hex(der.boolean(false))).toBe('010100');
    expect(hex(der.bitString(Uint8Array.of(0x80), 7))).toBe('03020780');
    expect(hex(der.explicit(3, der.smallInteger(1)))).toBe('a303020101');
    expect(hex(der.implicit(2, new TextEncoder().encode('a')))).toBe('820161');
  });

  it('property: every TLV states the length of its content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (content) => {
        const t = der.tlv(0x04, content);
        let len: number;
        let off: number;
        if (t[1]! < 0x80) [len, off] = [t[1]!, 2];
        else {
          const n = t[1]! & 0x7f;
          len = 0;
          for (let i = 0; i < n; i++) len = len * 256 + t[2 + i]!;
          off = 2 + n;
          expect(t[2]).not.toBe(0); // minimal long form
        }
        expect(len).toBe(content.length);
        expect(t.length).toBe(off + content.length);
      }),
      { numRuns: 50 },
    );
  });
});

describe('selfSignedCertificate', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const mk = () =>
    selfSignedCertificate({ commonName: 'metallb-ts-controller', dnsNames: ['node-1', 'localhost'], ipAddresses: ['127.0.0.1', '::1', '2001:db8::7'], clock, rng: new SeededRng(7) });

  it('is a v3 certificate Node parses, signed by its own key, for the names and addresses given', () => {
    const { cert, key } = mk();
    const x = new X509Certificate(cert);
    expect(x.subject).toBe('O=metallb-ts\nCN=metallb-ts-controller');
    expect(x.issuer).toBe(x.subject);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe('DNS:node-1, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:0:0:7');
    expect(x.checkHost('node-1')).toBe('node-1');
    expect(x.checkHost('other')).toBeUndefined();
    expect(x.checkIP('2001:db8::7')).toBe('2001:db8::7');
    expect(x.checkIP('198.51.100.1')).toBeUndefined();
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
  });

  it('is valid from an hour ago for 365 days (or as asked); a positive 16-byte serial from the Rng', () => {
    const x = new X509Certificate(mk().cert);
    expect(new Date(x.validFrom).getTime()).toBe(clock.now() - 3_600_000);
    expect(new Date(x.validTo).getTime()).toBe(clock.now() + 365 * 86_400_000);
    expect(x.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    const again = new X509Certificate(mk().cert);
    expect(again.serialNumber).toBe(x.serialNumber); // same seed, same serial
    const short = new X509Certificate(selfSignedCertificate({ commonName: 'x', validityDays: 2, clock }).cert);
    expect(new Date(short.validTo).getTime()).toBe(clock.now() + 2 * 86_400_000);
  });

  it('a fresh key every time: another certificate does not verify with this key', () => {
    const a = new X509Certificate(mk().cert);
    const b = mk();
    expect(a.verify(createPublicKey(b.key))).toBe(false);
  });

  it('without names: no subjectAltName extension; a bad address is refused with the address', () => {
    const x = new X509Certificate(selfSignedCertificate({ commonName: 'bare', clock }).cert);
    expect(x.subjectAltName).toBeUndefined();
    expect(() => selfSignedCertificate({ commonName: 'x', ipAddresses: ['300.1.1.1'], clock })).toThrow(/300\.1\.1\.1/);
  });
});
