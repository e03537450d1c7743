// `npm start` runs this demo: it must end with the Service holding the seed guide's first IP,
// and leave nothing running behind.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runChild } from '@metallb-ts/test-lab';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const demo = join(root, 'dist', 'apps', 'lab', 'main.mjs');

it.skipIf(!existsSync('/usr/bin/kubectl'))('the demo shows myapp-svc getting EXTERNAL-IP 10.0.0.101 and exits 0', async () => {
  expect(existsSync(demo)).toBe(true);
  // bounded (SIGKILL after 90 s) and killed by its handle if the test process exits first
  const r = await runChild([process.execPath, demo], { cwd: root, timeoutMs: 90_000 });
  const code = r.status;
  const out = r.stdout + r.stderr;
  expect(code, out).toBe(0);
  expect(out).toMatch(/myapp-svc\s+LoadBalancer\s+\S+\s+10\.0\.0\.101\s/);
  expect(out).toContain('myapp-svc got EXTERNAL-IP 10.0.0.101 from first-pool');
  expect(out).toMatch(/IPAllocated\s+service\/myapp-svc\s+Assigned IP \[10\.0\.0\.101\]/);
});
