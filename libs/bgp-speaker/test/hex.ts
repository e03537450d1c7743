/** Joins hex chunks (spaces and `//` comments allowed) into bytes: one field per line in vectors. */
export function hex(...parts: string[]): Uint8Array {
  const s = parts.map((p) => p.replace(/\/\/.*$/gm, '').replace(/\s+/g, '')).join('');
  if (s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new Error(`bad hex: ${s}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** 16 bytes of 0xff. */
export const MARKER = 'ffffffffffffffffffffffffffffffff';
