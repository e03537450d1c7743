// Copies the arp-responder native addon beside the bundle (dist/apps/cli/arp_responder.node),
// where `loadAddon()` looks first after $METALLB_TS_ARP_RESPONDER_ADDON.
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '../../../libs/arp-responder/build/Release/arp_responder.node');
const outDir = join(here, '../../../dist/apps/cli');
if (existsSync(src)) copyFileSync(src, join(outDir, 'arp_responder.node'));
else console.warn(`warning: ${src} is missing (npm run build:native -w libs/arp-responder); "l2 respond" will not work from this bundle`);
chmodSync(join(outDir, 'main.mjs'), 0o755);
