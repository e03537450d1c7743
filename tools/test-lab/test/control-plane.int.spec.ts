/**
 * The control plane: apiserver-lite in its own namespace at 198.51.100.1 on a bridge, node
 * namespaces on the same segment; a process in a node namespace lists objects through the
 * lab's kubeconfig (plain HTTP and kubectl), and the root namespace gets no address of the segment.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../src/control-plane.js';
import { haveTool, removeDir, tempDir } from '../src/exec.js';
import { Lab } from '../src/netns.js';
import { runChild } from '../src/process.js';
import { relayToLoopback } from '../src/relay.js';
import { labDescribe } from '../src/vitest.js';

labDescribe('control plane', ['ip', 'ss'])('control plane', () => {
  const lab = new Lab('tlcp');
  let cp: ControlPlane;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('tlcp');
    const manifest = join(dir, 'objects.yaml');
    writeFileSync(manifest, ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lab-seed, namespace: default}', 'data: {hello: world}', ''].join('\n'));
    cp = await startControlPlane(lab, { manifests: [manifest] });
  }, 180_000);
  afterAll(async () => {
    await cp?.stop();
    await lab.cleanup();
    removeDir(dir);
  });

  it('a process in a node namespace lists objects through the kubeconfig', async () => {
    const node = cp.addNode('n1', '198.51.100.10');
    const script = `
      const fs = require('node:fs');
      const server = /server: "([^"]+)"/.exec(fs.readFileSync(process.env.KUBECONFIG, 'utf8'))[1];
      fetch(server + '/api/v1/namespaces/default/configmaps').then((r) => r.json()).then((l) => {
        console.log(JSON.stringify({ server, names: l.items.map((i) => i.metadata.name) }));
      }, (e) => { console.error(String(e)); process.exit(1); });`;
    const r = await runChild(['env', `KUBECONFIG=${cp.kubeconfig}`, process.execPath, '-e', script], { netns: node, timeoutMs: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ server: 'http://198.51.100.1:6443', names: ['lab-seed'] });
  });

  it.skipIf(!haveTool('kubectl'))('kubectl in a node namespace lists them too', async () => {
    const node = cp.addNode('n2', '198.51.100.11');
    const r = await runChild(['kubectl', '--kubeconfig', cp.kubeconfig, 'get', 'configmaps', '-o', 'name'], { netns: node, timeoutMs: 60_000, env: { ...process.env, HOME: dir } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/lab-seed');
  });

  it('relayToLoopback reaches the API server from the test process through a Unix socket, without a route', async () => {
    const relay = await relayToLoopback(lab, cp.ns, '198.51.100.1', 6443);
    try {
      const l = (await (await fetch(`${relay.url}/api/v1/namespaces/default/configmaps`)).json()) as { items: { metadata: { name: string } }[] };
      expect(l.items.map((i) => i.metadata.name)).toEqual(['lab-seed']);
    } finally {
      await relay.close();
    }
    await expect(fetch(`${relay.url}/version`)).rejects.toThrow();
  });

  it('adds nothing to the root namespace (the segment lives only in lab namespaces)', async () => {
    // read-only check: never send traffic to the lab addresses from the root namespace
    const r = await runChild(['ip', '-o', 'addr', 'show'], { timeoutMs: 5000 });
    expect(r.stdout).not.toMatch(/198\.51\.100\./);
    expect(lab.pids(cp.ns)).toContain(cp.apiserver.pid);
  });
});
