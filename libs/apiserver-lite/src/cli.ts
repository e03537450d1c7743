/**
 * `apiserver-lite`: the standalone command.
 *
 *   apiserver-lite --port 6443 --crds deploy/crds --kubeconfig-out FILE [--snapshot FILE] ...
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { readManifests, startApiServer } from './start.js';

/** The `--help` text. */
export const USAGE = `Usage: apiserver-lite [options]

An in-memory Kubernetes API server that kubectl and client-node can talk to.

Options:
  --port N              port to listen on (default 6443; 0 picks a free port)
  --host ADDR           address to listen on (default 127.0.0.1)
  --crds PATH           directory (or file) of CustomResourceDefinition YAML to load at start
  --manifests PATH      directory (or file) of other YAML objects to apply at start (repeatable)
  --kubeconfig-out FILE write a kubeconfig for this server to FILE
  --snapshot FILE       persist objects to FILE (and the write-ahead log FILE.log) and restore them on start
  --durability MODE     with --snapshot: fsync (default: every write is on disk before it is
                        acknowledged), write (survives kill -9, not a power loss), or none
                        (debounced snapshots; a crash loses the last writes)
  --token TOKEN         require this bearer token (written to the kubeconfig)
  --insecure-allow-remote
                        allow a non-loopback --host without --token (anyone who reaches the
                        port can read and write everything)
  --tls-cert-file FILE  serve HTTPS with this PEM certificate (needs --tls-private-key-file)
  --tls-private-key-file FILE
  --tls-ca-file FILE    CA certificate written to the kubeconfig (default: the certificate itself)
  --no-controllers      do not maintain EndpointSlices or collect garbage (ownerReferences)
  --bookmark-interval-ms N  bookmark period for watches that ask for them (default 60000)
  -h, --help            show this help
`;

/** Whether `host` only listens on loopback (`localhost`, 127.0.0.0/8, `::1`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Runs the command with `argv` (without node and script); resolves when the server stops. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '6443' },
        host: { type: 'string', default: '127.0.0.1' },
        crds: { type: 'string' },
        manifests: { type: 'string', multiple: true },
        'kubeconfig-out': { type: 'string' },
        snapshot: { type: 'string' },
        durability: { type: 'string', default: 'fsync' },
        token: { type: 'string' },
        'insecure-allow-remote': { type: 'boolean', default: false },
        'tls-cert-file': { type: 'string' },
        'tls-private-key-file': { type: 'string' },
        'tls-ca-file': { type: 'string' },
        'no-controllers': { type: 'boolean', default: false },
        'bookmark-interval-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`apiserver-lite: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`apiserver-lite: --port must be an integer in 0..65535, got "${values.port}"\n`);
    return 2;
  }
  if (!isLoopbackHost(values.host) && values.token === undefined && !values['insecure-allow-remote']) {
    process.stderr.write(`apiserver-lite: --host ${values.host} is reachable from other machines: add --token TOKEN (or --insecure-allow-remote to serve without authentication)\n`);
    return 2;
  }
  const durability = values.durability;
  if (durability !== 'fsync' && durability !== 'write' && durability !== 'none') {
    process.stderr.write(`apiserver-lite: --durability must be fsync, write or none, got "${durability}"\n`);
    return 2;
  }
  if (!!values['tls-cert-file'] !== !!values['tls-private-key-file']) {
    process.stderr.write('apiserver-lite: --tls-cert-file and --tls-private-key-file go together\n');
    return 2;
  }
  let running;
  try {
    running = await startApiServer({
      port,
      host: values.host,
      crdsDir: values.crds,
      snapshotFile: values.snapshot,
      durability,
      kubeconfigPath: values['kubeconfig-out'],
      token: values.token,
      simulateControllers: !values['no-controllers'],
      bookmarkIntervalMs: values['bookmark-interval-ms'] ? Number(values['bookmark-interval-ms']) : undefined,
      tls: values['tls-cert-file']
        ? { cert: readFileSync(values['tls-cert-file']), key: readFileSync(values['tls-private-key-file']!), ca: values['tls-ca-file'] ? readFileSync(values['tls-ca-file']) : undefined }
        : undefined,
    });
    for (const m of values.manifests ?? []) for (const text of readManifests(m)) running.apply(text);
  } catch (e) {
    process.stderr.write(`apiserver-lite: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`apiserver-lite listening on ${running.url}\n`);
  process.stdout.write(`kubeconfig written to ${running.kubeconfigPath}\n`);
  process.stdout.write(`try: KUBECONFIG=${running.kubeconfigPath} kubectl get crds\n`);
  return await new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      process.stdout.write(`apiserver-lite: ${sig}, stopping\n`);
      void running.stop().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
