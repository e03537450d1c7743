/**
 * A TCP port nobody listens on: bound on `host` with port 0, read, closed. Another process may
 * take it before the caller binds it, so use it for servers that fail loudly on EADDRINUSE.
 * Dependency-free (no parameter properties), so `tools/kube`'s type-stripped CLI can import it
 * alone as `@metallb-ts/test-lab/ports`.
 */
import { createServer } from 'node:net';

/** A free TCP port on `host` (default 127.0.0.1). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error(`no port bound on ${host}`))));
    });
  });
}
