/**
 * KubeClient across the lab's segment: apiserver-lite runs in the control-plane namespace of
 * `@metallb-ts/test-lab` (198.51.100.1), and a process in a node namespace — as a speaker on a
 * node would — loads the lab's kubeconfig and lists objects with this library.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleEntry, Lab, removeDir, runChild, startControlPlane, tempDir, type ControlPlane } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';

labDescribe('KubeClient from a node namespace', ['ip', 'ss'])('KubeClient from a node namespace', () => {
  const lab = new Lab('k8sw');
  let cp: ControlPlane;
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = tempDir('k8s-watch-cp');
    const seed = join(dir, 'seed.yaml');
    writeFileSync(seed, ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: from-control-plane, namespace: default}', 'data: {a: b}', ''].join('\n'));
    script = await bundleEntry(join(import.meta.dirname, 'fixtures', 'list-main.ts'), join(dir, 'list.mjs'));
    cp = await startControlPlane(lab, { manifests: [seed] });
  }, 180_000);
  afterAll(async () => {
    await cp?.stop();
    await lab.cleanup();
    removeDir(dir);
  });

  it('lists the control plane\'s objects through the kubeconfig', async () => {
    const node = cp.addNode('node1', '198.51.100.10');
    const r = await runChild(['env', `KUBECONFIG=${cp.kubeconfig}`, process.execPath, script], { netns: node, timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).names).toEqual(['from-control-plane']);
  });
});
