// Copies the native addons beside the bundle, where their loaders look for them:
// dist/apps/cli/arp_responder.node (l2 respond) and dist/apps/cli/tcp_md5.node (bgp announce
// --password / --ebgp-multihop). A missing addon is a warning: only those features need it.
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = join(root, 'dist/apps/cli');
const addons = [
  ['libs/arp-responder/build/Release/arp_responder.node', 'arp_responder.node', 'npm run build:native -w libs/arp-responder', 'l2 respond'],
  ['libs/bgp-speaker/native/build/tcp_md5.node', 'tcp_md5.node', 'npm run build:native -w libs/bgp-speaker', 'bgp announce --password/--ebgp-multihop'],
];
for (const [src, name, how, what] of addons) {
  const from = join(root, src);
  if (existsSync(from)) copyFileSync(from, join(outDir, name));
  else console.warn(`warning: ${src} is missing (${how}); "${what}" will not work from this bundle`);
}
chmodSync(join(outDir, 'main.mjs'), 0o755);
