/** `metallb-ts memberlist agent`: a memberlist node, membership events on stdout. */
import { ConfigError, JoinError, readMetallbSecret, startMemberlist, type Memberlist } from '@metallb-ts/memberlist';
import { UsageError, type MemberlistAgentArgs } from './args.js';
import { untilSignal, within, type Io } from './io.js';
import { checkMemberlistSecret } from './secrets.js';

const dec = new TextDecoder();
const addrOf = (addr: string, port: number) => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

/** Runs the agent until SIGTERM/SIGINT; resolves the exit code. */
export async function runMemberlistAgent(a: MemberlistAgentArgs, io: Io): Promise<number> {
  let secret: Uint8Array | undefined;
  if (a.secretKeyPath !== undefined) {
    // Read here (not by startMemberlist) to refuse a secret that would give a derivable key.
    try {
      secret = await readMetallbSecret(a.secretKeyPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`--secret-key-path ${a.secretKeyPath}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`);
    }
    const c = checkMemberlistSecret(secret);
    if (c.kind === 'refused') throw new UsageError(`--secret-key-path ${a.secretKeyPath}: ${c.problem}`);
  }
  let ml: Memberlist;
  try {
    ml = await startMemberlist({
      name: a.name,
      bind: a.bind,
      ...(a.advertise !== undefined ? { advertise: a.advertise } : {}),
      ...(secret !== undefined ? { secret } : {}),
      preset: a.preset,
      ...(a.meta !== undefined ? { meta: new TextEncoder().encode(a.meta) } : {}),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UsageError(`--bind ${a.bind}: address already in use`);
    if (err.code === 'EADDRNOTAVAIL') throw new UsageError(`--bind ${a.bind}: not an address of this host`);
    if (e instanceof ConfigError) throw new UsageError(err.message);
    throw e;
  }
  ml.onEvent((e) => {
    io.emit(e.type, { node: e.member.name, addr: addrOf(e.member.addr, e.member.port), reason: e.reason, meta: dec.decode(e.member.meta), incarnation: e.member.incarnation });
    io.log(`memberlist: ${e.type} ${e.member.name} ${addrOf(e.member.addr, e.member.port)} (${e.reason})`);
  });
  // Listen before anything is reported: a supervisor may signal as soon as it sees `start`.
  const signal = untilSignal();
  const self = ml.localMember();
  io.emit('start', { node: self.name, addr: addrOf(self.addr, self.port), encrypted: a.secretKeyPath !== undefined, preset: a.preset });
  io.log(`memberlist: ${self.name} on ${addrOf(self.addr, self.port)}`);
  if (a.join.length > 0) {
    try {
      const n = await ml.join(a.join);
      io.emit('joined', { contacted: n });
    } catch (e) {
      // keep running: the others may come up later and join us
      const msg = e instanceof JoinError ? e.failures.map((f) => `${f.address}: ${f.error}`).join('; ') : (e as Error).message;
      io.emit('joined', { contacted: 0, error: msg });
      io.log(`memberlist: join failed: ${msg}`);
    }
  }
  const sig = await signal;
  io.log(`memberlist: ${sig}: leaving`);
  await within(ml.leave(1000), 3000);
  await within(ml.shutdown(), 3000);
  io.emit('exit', { signal: sig });
  return 0;
}
