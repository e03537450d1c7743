/**
 * How `kubectl` on the host reaches the lab's API server without any address or route in the
 * host's namespace: `_relay-in` runs inside the control-plane namespace, listens on a Unix socket
 * (a file: it is reachable from every namespace) and connects each client to the API server's
 * address there; `_relay-out` runs in the host's namespace on 127.0.0.1 and pipes each connection
 * to that socket. Bytes are copied as they are, so TLS passes through to the real API server.
 */
import { connect, createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

function pipe(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
}

function untilSignal(close: () => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      close();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/** Unix socket `path` → TCP `host:port` (run inside the namespace that reaches `host`). */
export async function relayIn(path: string, host: string, port: number): Promise<void> {
  rmSync(path, { force: true });
  const srv = createServer((c) => pipe(c, connect({ host, port })));
  await new Promise<void>((r, j) => srv.once('error', j).listen(path, () => r()));
  process.stdout.write(`${JSON.stringify({ msg: 'relay listening', path, to: `${host}:${port}` })}\n`);
  await untilSignal(() => {
    srv.close();
    rmSync(path, { force: true });
  });
}

/** TCP `host:port` (host namespace) → Unix socket `path`. */
export async function relayOut(host: string, port: number, path: string): Promise<void> {
  const srv = createServer((c) => pipe(c, connect({ path })));
  await new Promise<void>((r, j) => srv.once('error', j).listen(port, host, () => r()));
  process.stdout.write(`${JSON.stringify({ msg: 'relay listening', at: `${host}:${port}`, to: path })}\n`);
  await untilSignal(() => srv.close());
}
