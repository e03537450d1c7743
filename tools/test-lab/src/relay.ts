/**
 * A TCP relay from the test process's loopback into a lab namespace, so a test can talk to a
 * server that only listens inside a namespace (apiserver-lite at 198.51.100.1 in the
 * control-plane namespace) without giving the root namespace a route to documentation
 * addresses. A Unix socket crosses network namespaces: a small relay process inside the
 * namespace listens on a socket file and connects to `host:port` there; the test process
 * listens on `127.0.0.1:<ephemeral>` and pipes each connection to that socket.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { removeDir, tempDir } from './exec.js';
import type { Lab } from './netns.js';
import { waitFor } from './wait.js';

/** A running relay. */
export interface LoopbackRelay {
  /** `127.0.0.1` port in the test process that reaches `host:port` inside the namespace. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Closes the listener and every piped connection and stops the in-namespace relay. */
  close(): Promise<void>;
}

/** The in-namespace half: listens on a Unix socket, connects each client to host:port. */
const RELAY_SCRIPT = `
const net = require('node:net');
const [sock, host, port] = process.argv.slice(2);
const s = net.createServer((c) => {
  const u = net.connect(Number(port), host);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
  c.pipe(u).pipe(c);
});
s.listen(sock, () => console.log(JSON.stringify({ event: 'listening', sock })));
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * Relays `127.0.0.1:<ephemeral>` in the test process to `host:port` inside `ns`. The relay
 * process is a lab child (stopped by `lab.cleanup()` too); {@link LoopbackRelay.close} stops it
 * earlier.
 */
export async function relayToLoopback(lab: Lab, ns: string, host: string, port: number): Promise<LoopbackRelay> {
  const dir = tempDir('relay');
  const sock = join(dir, 'relay.sock');
  const script = join(dir, 'relay.cjs');
  writeFileSync(script, RELAY_SCRIPT);
  const child = lab.spawn(ns, [process.execPath, script, sock, host, String(port)]);
  await waitFor(`relay socket ${sock} in ${ns}`, () => {
    if (child.exitCode !== null) throw new Error(`relay exited (${child.exitCode})`);
    return existsSync(sock);
  }, { timeoutMs: 20_000, everyMs: 50 });
  const open = new Set<Socket>();
  const server: Server = createServer((c) => {
    const u = createConnection(sock);
    open.add(c).add(u);
    const drop = () => {
      c.destroy();
      u.destroy();
      open.delete(c);
      open.delete(u);
    };
    c.on('error', drop).on('close', drop);
    u.on('error', drop).on('close', drop);
    c.pipe(u).pipe(c);
  });
  const local = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
  return {
    port: local,
    url: `http://127.0.0.1:${local}`,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      removeDir(dir);
    },
  };
}
