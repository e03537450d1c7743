/**
 * Integration-tier set-up: as root, make sure the TCP MD5 addon is built (MD5 and TTL cases need
 * it). A failed build fails the run loudly instead of letting those cases skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.getuid?.() !== 0) return;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (existsSync(`${root}native/build/tcp_md5.node`)) return;
  try {
    execFileSync(process.execPath, [`${root}native/build.mjs`], { stdio: 'inherit', cwd: root });
  } catch (e) {
    throw new Error(`building the TCP MD5 addon failed (needs a C compiler and node_api.h): ${String(e)}`);
  }
}
