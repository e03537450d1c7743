/**
 * A self-signed X.509 serving certificate, written in DER by hand. Node's `crypto` parses X.509
 * (`X509Certificate`) and signs bytes, but cannot issue a certificate; rather than shelling out to
 * the `openssl` CLI at start-up (one more binary and its libraries in a minimal image, a child
 * process and temporary key files), the few ASN.1 types a certificate needs are encoded here
 * (X.690 DER) and the to-be-signed part is signed with `crypto.sign`. The result is checked by
 * Node's own X.509 parser in the unit tests and by a TLS client in the integration tests.
 *
 * Key: ECDSA P-256; signature ecdsa-with-SHA256 (RFC 5758 §3.2). Profile: RFC 5280 — v3,
 * random positive 128-bit serial, issuer = subject, basicConstraints CA:FALSE, keyUsage
 * digitalSignature, extKeyUsage serverAuth, subjectAltName with the given names and addresses.
 */
import { systemClock, systemRng, type Clock, type Rng } from '@metallb-ts/clock';
import { IPAddress } from '@metallb-ts/netaddr';
import { generateKeyPairSync, sign } from 'node:crypto';

/** ASN.1 DER encoders (X.690 §8, §10): each returns one complete TLV. */
export const der = {
  /** A TLV with a definite length (short form below 128, long form above). */
  tlv(tag: number, content: Uint8Array): Uint8Array {
    const n = content.length;
    let len: number[];
    if (n < 0x80) len = [n];
    else {
      const bytes: number[] = [];
      for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
      len = [0x80 | bytes.length, ...bytes];
    }
    const out = new Uint8Array(1 + len.length + n);
    out[0] = tag;
    out.set(len, 1);
    out.set(content, 1 + len.length);
    return out;
  },
  /** SEQUENCE (0x30) of already encoded parts. */
  sequence(...parts: Uint8Array[]): Uint8Array {
    return der.tlv(0x30, concat(parts));
  },
  /** SET (0x31) of already encoded parts, in the order given (callers pass one element). */
  set(...parts: Uint8Array[]): Uint8Array {
    return der.tlv(0x31, concat(parts));
  },
  /** INTEGER (0x02) from an unsigned big-endian magnitude: minimal, with a 0 byte when the top bit is set. */
  unsignedInteger(magnitude: Uint8Array): Uint8Array {
    let i = 0;
    while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
    const m = magnitude.subarray(i);
    const body = m.length === 0 ? Uint8Array.of(0) : (m[0]! & 0x80) !== 0 ? concat([Uint8Array.of(0), m]) : m;
    return der.tlv(0x02, body);
  },
  /** INTEGER (0x02) from a small non-negative number. */
  smallInteger(n: number): Uint8Array {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return der.unsignedInteger(Uint8Array.from(bytes));
  },
  /** OBJECT IDENTIFIER (0x06) from dotted text (X.690 §8.19: first two arcs as 40·a+b, base 128). */
  oid(dotted: string): Uint8Array {
    const arcs = dotted.split('.').map(Number);
    if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new Error(`not an object identifier: ${dotted}`);
    const out: number[] = [];
    for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
      const b: number[] = [arc & 0x7f];
      for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
      out.push(...b);
    }
    return der.tlv(0x06, Uint8Array.from(out));
  },
  /** UTF8String (0x0c). */
  utf8(text: string): Uint8Array {
    return der.tlv(0x0c, new TextEncoder().encode(text));
  },
  /** BOOLEAN (0x01); DER's TRUE is 0xff. */
  boolean(v: boolean): Uint8Array {
    return der.tlv(0x01, Uint8Array.of(v ? 0xff : 0));
  },
  /** BIT STRING (0x03) with `unusedBits` trailing bits of the last byte unused. */
  bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
    return der.tlv(0x03, concat([Uint8Array.of(unusedBits), bytes]));
  },
  /** OCTET STRING (0x04). */
  octetString(bytes: Uint8Array): Uint8Array {
    return der.tlv(0x04, bytes);
  },
  /** RFC 5280 §4.1.2.5 Time: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, `Z`. */
  time(ms: number): Uint8Array {
    const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString(); // 2026-01-02T03:04:05.000Z
    const year = Number(iso.slice(0, 4));
    const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
    if (year >= 1950 && year < 2050) return der.tlv(0x17, new TextEncoder().encode(`${digits.slice(2)}Z`));
    return der.tlv(0x18, new TextEncoder().encode(`${digits}Z`));
  },
  /** A context-specific constructed tag `[n]` wrapping `content` (EXPLICIT tagging). */
  explicit(n: number, content: Uint8Array): Uint8Array {
    return der.tlv(0xa0 | n, content);
  },
  /** A context-specific primitive tag `[n]` replacing the tag of a primitive value (IMPLICIT). */
  implicit(n: number, bytes: Uint8Array): Uint8Array {
    return der.tlv(0x80 | n, bytes);
  },
} as const;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Object identifiers used by the certificate. */
export const OIDS = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** Options of {@link selfSignedCertificate}. */
export interface SelfSignedOptions {
  /** Subject and issuer CN, e.g. `metallb-ts-controller`. */
  commonName: string;
  /** DNS names in subjectAltName. @default [] */
  dnsNames?: readonly string[];
  /** IP addresses in subjectAltName. @default [] */
  ipAddresses?: readonly string[];
  /** Validity from one hour before now (clock skew) for this many days. @default 365 */
  validityDays?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Serial number source. @default systemRng */
  rng?: Rng;
}

/** A certificate and its private key, both PEM. */
export interface TlsMaterial {
  /** PEM `CERTIFICATE` (chain, leaf first). */
  cert: string;
  /** PEM private key. */
  key: string;
}

const pem = (label: string, bytes: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(Buffer.from(bytes).toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/** Default validity of {@link selfSignedCertificate}. */
export const SELF_SIGNED_VALIDITY_DAYS = 365;

/**
 * Issues a self-signed ECDSA P-256 serving certificate for `commonName` with the given names and
 * addresses. Scrapers of a self-signed endpoint do not verify it (Prometheus'
 * `insecure_skip_verify`, as with MetalLB's own); users who need verification mount a
 * certificate with `--metrics-cert-dir`.
 * @throws {AddrParseError} when an entry of `ipAddresses` is not an IP address.
 */
export function selfSignedCertificate(opts: SelfSignedOptions): TlsMaterial {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? systemRng;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = rng.bytes(16);
  serial[0] = serial[0]! & 0x7f; // positive (RFC 5280 §4.1.2.2)
  if (serial[0] === 0) serial[0] = 1; // and exactly 16 bytes long
  const now = clock.now();
  const notBefore = now - 3_600_000;
  const notAfter = now + (opts.validityDays ?? SELF_SIGNED_VALIDITY_DAYS) * 86_400_000;
  const name = der.sequence(
    der.set(der.sequence(der.oid(OIDS.organization), der.utf8('metallb-ts'))),
    der.set(der.sequence(der.oid(OIDS.commonName), der.utf8(opts.commonName))),
  );
  const algorithm = der.sequence(der.oid(OIDS.ecdsaWithSha256));
  const extension = (oid: string, critical: boolean, value: Uint8Array) =>
    der.sequence(der.oid(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
  const altNames = [
    ...(opts.dnsNames ?? []).map((d) => der.implicit(2, new TextEncoder().encode(d))), // dNSName [2] IA5String
    ...(opts.ipAddresses ?? []).map((ip) => der.implicit(7, IPAddress.parse(ip).toBytes())), // iPAddress [7] OCTET STRING
  ];
  const extensions = [
    extension(OIDS.basicConstraints, true, der.sequence()), // cA DEFAULT FALSE
    extension(OIDS.keyUsage, true, der.bitString(Uint8Array.of(0x80), 7)), // digitalSignature (bit 0)
    extension(OIDS.extKeyUsage, false, der.sequence(der.oid(OIDS.serverAuth))),
    ...(altNames.length ? [extension(OIDS.subjectAltName, false, der.sequence(...altNames))] : []),
  ];
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    algorithm,
    name,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name,
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    der.explicit(3, der.sequence(...extensions)),
  );
  // For EC keys crypto.sign returns the DER ECDSA-Sig-Value X.509 expects (RFC 5480 §2.2 / 5758 §3.2).
  const signature = new Uint8Array(sign('sha256', tbs, privateKey));
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  return { cert: pem('CERTIFICATE', certificate), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
