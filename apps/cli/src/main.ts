/**
 * `metallb-ts`: a command-line toolbox over the metallb-ts protocol libraries.
 *
 *   metallb-ts bgp announce …      keep a BGP session and advertise routes
 *   metallb-ts l2 respond …        answer ARP/NDP for addresses on an interface
 *   metallb-ts memberlist agent …  join a memberlist cluster
 *   metallb-ts election order …    print MetalLB's Layer 2 announcer order
 */
import { run } from './cli.js';
import { processIo } from './io.js';

// `metallb-ts … | head -1`: a closed stdout is not an error worth a stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

try {
  process.exitCode = await run(process.argv.slice(2), processIo);
} catch (e) {
  processIo.error(`metallb-ts: ${((e as Error).message ?? String(e)).split('\n')[0]}`);
  process.exitCode = 1;
}
// long-running commands leave handles behind after cleanup (stdin, sockets): exit explicitly
process.exit();
