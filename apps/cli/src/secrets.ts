/**
 * Secrets the CLI takes from files and the environment instead of the command line (where `ps`
 * shows them to every user): the BGP MD5 password, and the check that a memberlist secret is not
 * empty. Pure: the caller reads the bytes and turns a refusal into a `UsageError`.
 */

/** Environment variable holding `bgp announce`'s TCP MD5 password (used when no flag gives one). */
export const BGP_PASSWORD_ENV = 'METALLB_TS_BGP_PASSWORD';

/** A secret that passed its checks, or why it was refused (a one-line message that never shows the secret). */
export type SecretCheck<T> = { kind: 'ok'; value: T } | { kind: 'refused'; problem: string };

/**
 * A TCP MD5 password as read from a flag, a file or the environment: one trailing newline (`\n`
 * or `\r\n`, as `echo` and editors leave) is stripped, then it must be 1–80 characters (RFC 2385
 * keys; Linux's TCP_MD5SIG_MAXKEYLEN).
 */
export function checkBgpPassword(text: string): SecretCheck<string> {
  const p = text.replace(/\r?\n$/, '');
  if (p.length === 0 || p.length > 80) return { kind: 'refused', problem: `1–80 characters (TCP MD5 key), got ${p.length}` };
  return { kind: 'ok', value: p };
}

const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * Refuses a memberlist secret that is empty or only whitespace: MetalLB derives the AES key from
 * the secret's bytes, so such a file would encrypt with a key anyone can derive — "encrypted" in
 * name only. Otherwise the bytes are kept as they are (a trailing newline stays part of the
 * secret, as in MetalLB).
 */
export function checkMemberlistSecret(bytes: Uint8Array): SecretCheck<Uint8Array> {
  if (bytes.every(isSpace))
    return { kind: 'refused', problem: `the secret is ${bytes.length === 0 ? 'empty' : 'only whitespace'}, so anyone could derive the key; put the memberlist secret in it (e.g. from openssl rand -base64 128) or leave the flag out to run unencrypted` };
  return { kind: 'ok', value: bytes };
}
