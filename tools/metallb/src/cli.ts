/** The `metallb-peer` command: `build` (build and cache MetalLB, print NAME=PATH), `paths`. */
import { binaryPaths, ensureMetallb } from './build.js';
import { METALLB_VERSION } from './versions.js';

const USAGE = `usage: metallb-peer build    build MetalLB ${METALLB_VERSION}'s controller and speaker (cached); prints controller=PATH, speaker=PATH
       metallb-peer paths    print where they are (or would be) cached`;

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (rest.length > 0 || (cmd !== 'build' && cmd !== 'paths')) {
    process.stderr.write(`${cmd === '--help' || cmd === '-h' ? '' : `metallb-peer: unknown arguments: ${argv.join(' ') || '(none)'}\n`}${USAGE}\n`);
    return cmd === '--help' || cmd === '-h' ? 0 : 2;
  }
  try {
    const paths = cmd === 'build' ? await ensureMetallb({ log: (l) => process.stderr.write(`${l}\n`) }) : await binaryPaths();
    for (const [k, v] of Object.entries(paths)) process.stdout.write(`${k}=${v}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`metallb-peer: ${(err as Error).message}\n`);
    return 1;
  }
}
