/**
 * The apps' HTTP endpoints: `/metrics` (when given a source), `/healthz` and `/livez` (alive:
 * always 200), `/readyz` (200 when the readiness probe has no objection, else 503 with the
 * reason). Anything else is 404.
 */
import { createServer, type Server } from 'node:http';
import type { MetricsSource } from './metrics.js';

/** Readiness as the app sees it. */
export interface ReadinessProbe {
  /** Why the process is not ready, or undefined when ready. */
  notReady(): string | undefined;
}

/** Options of {@link startProbeServer}. */
export interface ProbeServerOptions {
  /** TCP port (0: any free port). */
  port: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Serves `/metrics` from here; omit for a probes-only port. */
  metrics?: MetricsSource;
  probe: ReadinessProbe;
}

/** Starts listening; resolves once bound, rejects when the port cannot be bound. */
export function startProbeServer(opts: ProbeServerOptions): Promise<Server> {
  const { metrics, probe } = opts;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const why = probe.notReady();
      if (why) res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${why}\n`);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/metrics' && metrics) {
      metrics.text().then(
        (t) => res.writeHead(200, { 'content-type': metrics.contentType }).end(t),
        (e: Error) => res.writeHead(500).end(e.message),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Closes `server`, resolving once every connection is gone. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
