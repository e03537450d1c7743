#!/usr/bin/env node
// Runs the whole test suite through nx and prints one closing line `N passed, N failed`
// summing every project and tier, plus two static checks of the whole workspace counted as one
// test each: `tsc --noEmit` (sources and specs) and `eslint .` (layering rules included).
// Usage: node tools/run-tests.mjs [--unit] [--projects a,b]
//   --unit      only the fast `test` tier (no root, no daemons); the static checks still run
//   --projects  limit to these nx projects (and skip the whole-workspace static checks)
// Exit status: 0 only when every project ran and nothing failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const pIdx = args.indexOf('--projects');
const only = pIdx >= 0 ? new Set(args[pIdx + 1].split(',')) : undefined;
const tiers = unitOnly ? ['test'] : ['test', 'test-int'];

/** Every workspace project with the tiers it declares as package.json scripts. */
function projects() {
  const out = [];
  const dirs = [join(root, 'tools'), join(root, 'tools', 'test-lab'), join(root, 'tools', 'kube'), join(root, 'tools', 'image'), join(root, 'tools', 'metallb')];
  for (const group of ['libs', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) dirs.push(join(dir, name));
  }
  for (const projectDir of dirs) {
    const pj = join(projectDir, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    const nxName = pkg.nx?.name ?? projectDir.split('/').pop();
    if (only && !only.has(nxName)) continue;
    out.push({ dir: projectDir, name: nxName, tiers: tiers.filter((t) => pkg.scripts?.[t]) });
  }
  return out;
}

const list = projects();
for (const p of list) rmSync(join(p.dir, '.test-results'), { recursive: true, force: true });

const nxArgs = ['run-many', '-t', ...tiers, '--output-style=static'];
if (only) nxArgs.push('-p', [...only].join(','));
if (process.env.CI) nxArgs.push('--skip-nx-cache');
console.log(`$ nx ${nxArgs.join(' ')}  (node ${process.version})`);
const run = spawnSync(join(root, 'node_modules', '.bin', 'nx'), nxArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });

if (run.error) console.log(`could not start nx: ${run.error.message}`);

/**
 * The static checks, after nx (whose run leaves the project graph eslint's module-boundary rule
 * reads): each one command over the whole workspace, passed when it exits 0.
 */
const statics = only
  ? []
  : [
      { name: 'static:typecheck', argv: [join(root, 'node_modules', '.bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit'] },
      { name: 'static:lint', argv: [join(root, 'node_modules', '.bin', 'eslint'), '.'] },
    ];
const staticResults = [];
for (const c of statics) {
  const t0 = Date.now();
  const r = spawnSync(c.argv[0], c.argv.slice(1), { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });
  const ok = r.status === 0;
  console.log(`${c.name}: ${ok ? 'ok' : `failed (${r.error ? r.error.message : `exit ${r.status}`})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!ok) console.log(`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(0, 60).join('\n'));
  staticResults.push({ name: c.name, ok });
}

let passed = 0, failed = 0, skipped = 0;
const rows = [];
const failures = [];
for (const r of staticResults) {
  if (r.ok) passed++;
  else {
    failed++;
    failures.push(`${r.name} failed (its output is printed above the table)`);
  }
  rows.push([r.name, r.ok ? 1 : 0, r.ok ? 0 : 1, 0]);
}
for (const p of list) {
  for (const t of p.tiers) {
    const f = join(p.dir, '.test-results', `${t}.json`);
    if (!existsSync(f)) {
      failed++;
      failures.push(`${p.name}:${t} did not report results (crashed or did not run)`);
      rows.push([`${p.name}:${t}`, '-', '-', '-']);
      continue;
    }
    const c = JSON.parse(readFileSync(f, 'utf8'));
    passed += c.passed; failed += c.failed; skipped += c.skipped;
    for (const x of c.failures) failures.push(`${p.name}:${t} ${x}`);
    rows.push([`${p.name}:${t}`, c.passed, c.failed, c.skipped]);
  }
}
console.log('\nproject:tier                      passed  failed  skipped');
for (const r of rows) console.log(`${String(r[0]).padEnd(32)} ${String(r[1]).padStart(7)} ${String(r[2]).padStart(7)} ${String(r[3]).padStart(8)}`);
if (failures.length) {
  console.log('\nFailures:');
  for (const f of failures) console.log(`  - ${f}`);
}
if (run.status !== 0 && failed === 0) {
  failed++;
  console.log(`nx exited with status ${run.status} although every project reported; counting it as a failure`);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
