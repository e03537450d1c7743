// `npm start` runs this demo: it must end with the Service holding the seed guide's first IP,
// and leave nothing running behind.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const demo = join(root, 'dist', 'apps', 'lab', 'main.mjs');

it.skipIf(!existsSync('/usr/bin/kubectl'))('the demo shows myapp-svc getting EXTERNAL-IP 10.0.0.101 and exits 0', async () => {
  expect(existsSync(demo)).toBe(true);
  const child = spawn(process.execPath, [demo], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(kill);
  expect(code, out).toBe(0);
  expect(out).toMatch(/myapp-svc\s+LoadBalancer\s+\S+\s+10\.0\.0\.101\s/);
  expect(out).toContain('myapp-svc got EXTERNAL-IP 10.0.0.101 from first-pool');
  expect(out).toMatch(/IPAllocated\s+service\/myapp-svc\s+Assigned IP \[10\.0\.0\.101\]/);
});
