// Copies the Node-API addons beside an app's bundle, where their loaders look for them:
// dist/apps/<app>/arp_responder.node (ARP/NDP on AF_PACKET sockets) and tcp_md5.node (TCP MD5
// passwords, eBGP multi-hop TTL). A missing addon is a warning: only those features need it.
// Usage (from an app's build script): node ../../tools/copy-addons.mjs <app> [--executable]
//   --executable  also marks dist/apps/<app>/main.mjs executable (a CLI with a shebang)
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = process.argv[2];
if (!app || app.startsWith('-')) {
  console.error('usage: node tools/copy-addons.mjs <app> [--executable]');
  process.exit(2);
}
const outDir = join(root, 'dist/apps', app);
const addons = [
  ['libs/arp-responder/build/Release/arp_responder.node', 'arp_responder.node', 'npm run build:native -w libs/arp-responder', 'Layer 2 (ARP/NDP answering)'],
  ['libs/bgp-speaker/native/build/tcp_md5.node', 'tcp_md5.node', 'npm run build:native -w libs/bgp-speaker', 'BGP TCP MD5 passwords and eBGP multi-hop'],
];
for (const [src, name, how, what] of addons) {
  const from = join(root, src);
  if (existsSync(from)) copyFileSync(from, join(outDir, name));
  else console.warn(`warning: ${src} is missing (${how}); ${what} will not work from dist/apps/${app}`);
}
if (process.argv.includes('--executable')) chmodSync(join(outDir, 'main.mjs'), 0o755);
