import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { Rng } from '@metallb-ts/clock';
import { DecodeError } from '../wire/errors.js';

/*
 * memberlist encryption (memberlist-wire.md §9): AES-GCM with a 12-byte random nonce and a
 * 16-byte tag. Format `[vsn][nonce][ciphertext][tag]`; vsn 1 encrypts the plaintext as is,
 * vsn 0 (protocol version 1 only) PKCS#7-pads it to 16 bytes first.
 */

/** Encryption format version written by protocol version ≥ 2. */
export const ENCRYPTION_VERSION = 1;
const NONCE = 12;
const TAG = 16;

/** Thrown for keys that are not 16, 24 or 32 bytes, or for removing the primary key. */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new KeyringError(`an AES key must be 16, 24 or 32 bytes (AES-128/192/256), got ${key.length}`);
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The set of installed keys. The primary (first) key encrypts; decryption tries every key in
 * order, like Go's `Keyring`. Install a new key on every node, then `useKey` it, then
 * `removeKey` the old one to rotate without downtime.
 */
export class Keyring {
  private keys: Uint8Array[] = [];

  /** @param keys the keys to install; the first becomes primary. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new KeyringError('a keyring needs at least one key');
    for (const k of keys) this.addKey(k);
  }

  /** Installs a key (not primary). Installing an existing key is a no-op. */
  addKey(key: Uint8Array): void {
    checkKey(key);
    if (!this.keys.some((k) => same(k, key))) this.keys.push(Uint8Array.from(key));
  }

  /** Makes an installed key the primary (encrypting) key. */
  useKey(key: Uint8Array): void {
    const i = this.keys.findIndex((k) => same(k, key));
    if (i < 0) throw new KeyringError('useKey: the key is not installed; addKey it first');
    const [k] = this.keys.splice(i, 1);
    this.keys.unshift(k!);
  }

  /** Removes a key; the primary key cannot be removed. */
  removeKey(key: Uint8Array): void {
    if (this.keys[0] && same(this.keys[0], key)) throw new KeyringError('removeKey: cannot remove the primary key; useKey another first');
    this.keys = this.keys.filter((k) => !same(k, key));
  }

  /** Copies of the installed keys, primary first. */
  getKeys(): Uint8Array[] {
    return this.keys.map((k) => k.slice());
  }

  /** The primary key (a copy). */
  primaryKey(): Uint8Array {
    return this.keys[0]!.slice();
  }

  /** Encrypts `plain` with the primary key: `[vsn][nonce][ciphertext][tag]`. */
  encrypt(plain: Uint8Array, aad: Uint8Array, rng: Rng, version: 0 | 1 = ENCRYPTION_VERSION): Uint8Array {
    return encryptPayload(this.keys[0]!, plain, aad, rng.bytes(NONCE), version);
  }

  /**
   * Decrypts a `[vsn][nonce][ciphertext][tag]` blob with the first key that verifies. Throws a
   * `decrypt-failed` {@link DecodeError} when the format is wrong or no key fits.
   */
  decrypt(blob: Uint8Array, aad: Uint8Array): Uint8Array {
    return decryptPayload(this.keys, blob, aad);
  }
}

/** Encrypts with an explicit nonce (exported for test vectors). */
export function encryptPayload(key: Uint8Array, plain: Uint8Array, aad: Uint8Array, nonce: Uint8Array, version: 0 | 1): Uint8Array {
  checkKey(key);
  let data = plain;
  if (version === 0) {
    const pad = 16 - (plain.length % 16);
    data = new Uint8Array(plain.length + pad);
    data.set(plain);
    data.fill(pad, plain.length);
  }
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const ct = c.update(data);
  c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(1 + NONCE + ct.length + TAG);
  out[0] = version;
  out.set(nonce, 1);
  out.set(ct, 1 + NONCE);
  out.set(tag, 1 + NONCE + ct.length);
  return out;
}

/** Tries each key in order; see {@link Keyring.decrypt}. */
export function decryptPayload(keys: readonly Uint8Array[], blob: Uint8Array, aad: Uint8Array): Uint8Array {
  const vsn = blob[0];
  if (vsn === undefined || vsn > 1) throw new DecodeError('decrypt-failed', 0, `unsupported encryption version ${vsn}`);
  const min = 1 + NONCE + TAG + (vsn === 0 ? 16 : 0);
  if (blob.length < min) throw new DecodeError('decrypt-failed', 0, `encrypted payload too short (${blob.length} < ${min})`);
  const nonce = blob.subarray(1, 1 + NONCE);
  const ct = blob.subarray(1 + NONCE, blob.length - TAG);
  const tag = blob.subarray(blob.length - TAG);
  for (const key of keys) {
    let plain: Uint8Array;
    try {
      const d = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, nonce);
      d.setAAD(aad);
      d.setAuthTag(tag);
      const a = d.update(ct);
      d.final();
      plain = new Uint8Array(a.buffer, a.byteOffset, a.length);
    } catch {
      continue;
    }
    if (vsn === 0) {
      const pad = plain[plain.length - 1] ?? 0;
      if (pad < 1 || pad > 16 || pad > plain.length) throw new DecodeError('decrypt-failed', 0, 'bad PKCS#7 padding');
      return plain.slice(0, plain.length - pad);
    }
    return plain;
  }
  throw new DecodeError('decrypt-failed', 0, 'no installed key could decrypt the message');
}

/** The SHA-256 of the empty input, which MetalLB appends to its secret. */
const SHA256_EMPTY = new Uint8Array(createHash('sha256').digest());

/**
 * MetalLB's memberlist key derivation (memberlist-wire.md §9.4): Go's
 * `sha256.New().Sum(secret)` *appends* the digest of the empty input to the secret, so the key
 * is `(secret ‖ SHA256(""))[:32]` (MetalLB ≥ 0.14, AES-256), or `[:16]` for MetalLB ≤ 0.13
 * (`bits: 128`). The secret file's bytes are used verbatim: a trailing newline counts.
 */
export function deriveMetallbKey(secret: Uint8Array | string, bits: 128 | 256 = 256): Uint8Array {
  const s = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  const all = new Uint8Array(s.length + SHA256_EMPTY.length);
  all.set(s);
  all.set(SHA256_EMPTY, s.length);
  const n = bits / 8;
  if (all.length < n) throw new KeyringError(`secret too short for a ${bits}-bit key`);
  return all.slice(0, n);
}
