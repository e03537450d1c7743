/**
 * KubeClient and keep-alive: a pooled connection that the server closed while idle (the second
 * request on it is met with a reset) is retried once on a new connection instead of failing.
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { KubeClient, loadClientConfig, Resources } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'k8s-watch-keepalive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('retries a request whose reused keep-alive socket was reset', async () => {
  let connections = 0;
  const sockets: Socket[] = [];
  // A bare HTTP/1.1 server: on its first connection it answers one request and resets on the next.
  const srv = createServer((sock) => {
    const n = ++connections;
    sockets.push(sock);
    let served = 0;
    sock.on('data', () => {
      if (n === 1 && served === 1) {
        sock.resetAndDestroy();
        return;
      }
      served++;
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default', resourceVersion: String(served) } });
      sock.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const kc = join(dir, 'kc');
  writeFileSync(kc, `apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: s, user: {token: t}}]\ncontexts: [{name: s, context: {cluster: s, user: s}}]\ncurrent-context: s\n`);
  const client = new KubeClient(loadClientConfig({ kubeconfig: kc, env: {} }));
  try {
    expect((await client.get(Resources.configMaps, 'default', 'x')).metadata.name).toBe('x');
    const second = await client.get(Resources.configMaps, 'default', 'x');
    expect(second.metadata.name).toBe('x');
    expect(connections).toBe(2);
  } finally {
    client.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
