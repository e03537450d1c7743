/**
 * Benchmark: what durable writes cost (issue 15 §4). Creates per second with
 * - no persistence (in memory),
 * - `--durability none` (the old debounced snapshots: a crash loses acknowledged writes),
 * - `--durability write` (write-ahead log, no fsync: survives kill -9, not a power loss),
 * - `--durability fsync` (the default: fsync before every answer),
 * measured in two ways: in-process (`Api.create` in a loop, no HTTP: the persistence cost
 * alone) and over HTTP against `apiserver-lite` in a separate process (1 and 16 clients in flight).
 *
 * Run (from the repository root): npx node bench/run.mjs apiserver-lite/creates.ts [--creates 2000] [--dir /path/on/the/disk/to/test]
 * Not a test: prints a Markdown table; nothing is asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock, systemRng } from '@metallb-ts/clock';
import { Api, SnapshotFile, type Durability } from '@metallb-ts/apiserver-lite';

const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--' && !a.endsWith('.ts')), options: { creates: { type: 'string', default: '2000' }, dir: { type: 'string' } } });
const N = Number(values.creates);
const repo = process.env.BENCH_REPO ?? process.cwd();
const base = mkdtempSync(join(values.dir ?? tmpdir(), 'bench-apiserver-lite-'));
const now = () => performance.now();
type Mode = 'memory' | Durability;
const MODES: Mode[] = ['memory', 'none', 'write', 'fsync'];
const cm = (name: string) => ({ metadata: { name, labels: { app: 'bench' } }, data: { key: 'x'.repeat(100) } });

function inProcess(mode: Mode): number {
  const file = join(base, `inproc-${mode}.json`);
  const persistence = mode === 'memory' ? undefined : new SnapshotFile(file, { durability: mode });
  const api = new Api({ clock: systemClock, rng: systemRng, persistence, simulateControllers: false });
  const t = api.mustType('', 'v1', 'configmaps');
  for (let i = 0; i < 100; i++) api.create(t, 'default', cm(`warm-${i}`));
  const t0 = now();
  for (let i = 0; i < N; i++) api.create(t, 'default', cm(`c-${i}`));
  const ms = now() - t0;
  api.stop();
  api.store.close();
  return (N / ms) * 1000;
}

async function startServer(mode: Mode, tag: string): Promise<{ child: ChildProcess; url: string }> {
  const snap = mode === 'memory' ? [] : ['--snapshot', join(base, `http-${mode}-${tag}.json`), '--durability', mode];
  const child = spawn(process.execPath, [join(repo, 'libs/apiserver-lite/bin/apiserver-lite.mjs'), '--port', '0', '--no-controllers', '--kubeconfig-out', join(base, 'kc'), ...snap], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  for (let i = 0; i < 1200 && !/listening on/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const m = out.match(/listening on (http:\S+)/);
  if (!m) throw new Error(`apiserver-lite did not start: ${out}`);
  return { child, url: m[1]! };
}

async function overHttp(mode: Mode, inFlight: number): Promise<{ perSec: number; p50: number; p99: number }> {
  const { child, url } = await startServer(mode, String(inFlight));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    return await drive(url, inFlight);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function drive(url: string, inFlight: number): Promise<{ perSec: number; p50: number; p99: number }> {
  const post = async (name: string) => {
    const t = now();
    const r = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(cm(name)) });
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    return now() - t;
  };
  for (let i = 0; i < 100; i++) await post(`warm-${i}`);
  const lat: number[] = [];
  let next = 0;
  const t0 = now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < N) lat.push(await post(`c-${next++}`));
  }));
  const ms = now() - t0;
  lat.sort((a, b) => a - b);
  return { perSec: (N / ms) * 1000, p50: lat[Math.floor(lat.length / 2)]!, p99: lat[Math.floor(lat.length * 0.99)]! };
}

const rows: string[][] = [];
const load0 = loadavg()[0]!.toFixed(1);
for (const mode of MODES) {
  const ip = inProcess(mode);
  const h1 = await overHttp(mode, 1);
  const h16 = await overHttp(mode, 16);
  rows.push([mode, ip.toFixed(0), `${h1.perSec.toFixed(0)} (p50 ${h1.p50.toFixed(2)} ms, p99 ${h1.p99.toFixed(2)} ms)`, `${h16.perSec.toFixed(0)} (p50 ${h16.p50.toFixed(1)} ms)`]);
}
let fsType = '';
try {
  fsType = `${statSync(base).dev}`;
} catch {
  /* unknown */
}
rmSync(base, { recursive: true, force: true });
console.log(`creates: ${N} ConfigMaps per run (100 warm-up first); dir ${base} (dev ${fsType}); ${cpus().length} CPUs; load average ${load0} → ${loadavg()[0]!.toFixed(1)}\n`);
console.log('| durability | in-process creates/s (Api.create, no HTTP) | HTTP creates/s, 1 in flight | HTTP creates/s, 16 in flight |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
