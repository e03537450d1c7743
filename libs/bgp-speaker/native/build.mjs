// Builds native/build/tcp_md5.node. Prefers node-gyp (bundled with npm, on PATH inside npm
// scripts); falls back to a direct `cc` call against the Node headers (Node-API is ABI-stable,
// so any Node >= 12 header set works). Run: `npm run build:native -w libs/bgp-speaker`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'tcp_md5.node');
mkdirSync(join(here, 'build'), { recursive: true });

function tryGyp() {
  try {
    execFileSync('node-gyp', ['rebuild', '--directory', here], { stdio: 'inherit' });
    copyFileSync(join(here, 'build', 'Release', 'tcp_md5.node'), out);
    return true;
  } catch {
    return false;
  }
}

function tryCc() {
  const candidates = [process.env.NODE_INCLUDE_DIR, join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].filter(Boolean);
  const inc = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (!inc) throw new Error(`node_api.h not found in ${candidates.join(', ')}; set NODE_INCLUDE_DIR`);
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=tcp_md5', `-I${inc}`, join(here, 'tcp_md5.c'), '-o', out], { stdio: 'inherit' });
  return true;
}

if (!(process.argv.includes('--cc') ? false : tryGyp())) tryCc();
console.log(`built ${out}`);
