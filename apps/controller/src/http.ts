/** The controller's HTTP endpoints: `/metrics`, `/healthz` (alive) and `/readyz` (synced and serving). */
import { createServer, type Server } from 'node:http';
import type { ControllerMetrics } from './metrics.js';

export interface Probe {
  /** Reason the process is not ready, or undefined when ready. */
  notReady(): string | undefined;
}

export function startHttp(port: number, metrics: ControllerMetrics | undefined, probe: Probe, host = '0.0.0.0'): Promise<Server> {
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
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
