// Copies the native addons beside the bundle, where their loaders look for them:
// dist/apps/speaker/arp_responder.node (Layer 2: ARP/NDP on AF_PACKET sockets) and
// dist/apps/speaker/tcp_md5.node (BGP: TCP MD5 passwords, eBGP multi-hop TTL). A missing addon
// is a warning: only those features need it.
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = join(root, 'dist/apps/speaker');
const addons = [
  ['libs/arp-responder/build/Release/arp_responder.node', 'arp_responder.node', 'npm run build:native -w libs/arp-responder', 'Layer 2 announcements'],
  ['libs/bgp-speaker/native/build/tcp_md5.node', 'tcp_md5.node', 'npm run build:native -w libs/bgp-speaker', 'BGP passwords and eBGP multi-hop'],
];
for (const [src, name, how, what] of addons) {
  const from = join(root, src);
  if (existsSync(from)) copyFileSync(from, join(outDir, name));
  else console.warn(`warning: ${src} is missing (${how}); ${what} will not work from this bundle`);
}
