import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './config.js';
import { createMemberlist, type Memberlist } from './memberlist.js';
import type { MemberlistOptions } from './types.js';
import { createNodeTransport } from './net/node-transport.js';
import { parseHostPort } from './transport.js';

/** Options of {@link startMemberlist}: {@link MemberlistOptions} with addresses as text. */
export interface StartMemberlistOptions extends Omit<MemberlistOptions, 'transport' | 'advertise' | 'secret'> {
  /** `ip` or `ip:port` (`[v6]:port`) to bind UDP and TCP to. The port defaults to 7946. */
  readonly bind: string;
  /** `ip` or `ip:port` to advertise. @default the bound address (MetalLB leaves it empty) */
  readonly advertise?: string;
  /**
   * MetalLB's `--ml-secret-key-path`: a directory holding `secretkey`, or the file itself. The
   * bytes are used verbatim and derived into an AES-256 key as MetalLB does.
   */
  readonly secretKeyPath?: string;
  /** The MetalLB secret itself (instead of `secretKeyPath`). */
  readonly secret?: Uint8Array | string;
}

/**
 * Reads a MetalLB memberlist secret: `path` is the directory mounted from the `memberlist`
 * Secret (the file `secretkey` inside it is read) or the file itself. Returned verbatim
 * (no trimming: a trailing newline is part of the secret, as in MetalLB).
 */
export async function readMetallbSecret(path: string): Promise<Uint8Array> {
  const st = await stat(path);
  const file = st.isDirectory() ? join(path, 'secretkey') : path;
  return new Uint8Array(await readFile(file));
}

/**
 * Binds a UDP + TCP transport and starts a memberlist node on it: the one-call way to run a
 * speaker-style node. Then call `join([...])`, and `leave(1000)` + `shutdown()` on exit.
 *
 * @example
 * const ml = await startMemberlist({ name: 'node-a', bind: '10.0.0.5', preset: 'lan', secretKeyPath: '/etc/ml_secret_key' });
 * ml.onEvent((e) => console.log(e.type, e.member.name, e.reason));
 * await ml.join(['10.0.0.6', '10.0.0.7']);
 */
export async function startMemberlist(opts: StartMemberlistOptions): Promise<Memberlist> {
  const bind = parseHostPort(opts.bind, 7946, 'bind');
  const { bind: _b, advertise: adv, secretKeyPath, secret: rawSecret, ...rest } = opts;
  if (secretKeyPath !== undefined && rawSecret !== undefined) throw new ConfigError('secretKeyPath', 'give either secretKeyPath or secret');
  const secret = secretKeyPath !== undefined ? await readMetallbSecret(secretKeyPath) : rawSecret;
  const transport = await createNodeTransport({ bindAddress: bind.ip, bindPort: bind.port, ...(opts.clock ? { clock: opts.clock } : {}) });
  try {
    const advertise = adv !== undefined ? parseHostPort(adv, transport.localAddress.port, 'advertise') : transport.localAddress;
    return createMemberlist({ ...rest, transport, advertise, ...(secret !== undefined ? { secret } : {}) });
  } catch (e) {
    await transport.close();
    throw e;
  }
}
