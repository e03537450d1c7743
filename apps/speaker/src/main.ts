/**
 * `speaker`: the metallb-ts speaker binary, a composition of `@metallb-ts/app-runtime` (flags,
 * logging, probes, shutdown) and the {@link Speaker}. Bundled to `dist/apps/speaker/main.mjs`
 * with the Node-API addons beside it.
 *
 *   node dist/apps/speaker/main.mjs --node-name n1 --kubeconfig FILE --namespace metallb-system
 */
// First: V8 options that must be set before the rest of the bundle allocates (see v8-options.ts).
import './v8-options.js';
import { createLogger, exitCodeOf, onShutdown, parseCommandLine, planServing, startServing, type Serving } from '@metallb-ts/app-runtime';
import { KubeClient, loadClientConfig } from '@metallb-ts/k8s-watch';
import { bgpTypeProblem, FLAGS, PROGRAM, SERVING, validateFlags } from './flags.js';
import { SpeakerMetrics } from './metrics.js';
import { Speaker } from './speaker.js';

export async function main(argv: string[]): Promise<number> {
  const cl = parseCommandLine({ ...PROGRAM, table: FLAGS, argv, validate: validateFlags });
  if (cl.kind === 'exit') return cl.code;
  const flags = cl.flags;
  const bgpType = bgpTypeProblem(process.env);
  if (bgpType) {
    process.stderr.write(`speaker: ${bgpType}\n`);
    return 2;
  }
  const log = createLogger({ level: flags.logLevel, fields: { node: flags.nodeName } });
  let clientConfig;
  try {
    clientConfig = loadClientConfig({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), userAgent: 'metallb-ts-speaker' });
  } catch (e) {
    process.stderr.write(`speaker: cannot load the Kubernetes client configuration: ${(e as Error).message}\n`);
    return 2;
  }
  const client = new KubeClient(clientConfig);
  const metrics = new SpeakerMetrics();
  const speaker = new Speaker({ client, flags, log, metrics });
  const probe = { notReady: () => speaker.notReady() };
  let serving: Serving;
  try {
    // Host network: metrics on every interface (MetalLB) unless --metrics-bind-address says
    // otherwise, --health-probe-port on loopback only; --metrics-secure: /metrics over HTTPS.
    serving = await startServing({ plan: planServing(flags, SERVING), metrics, probe, program: 'speaker', log, api: client });
  } catch (e) {
    process.stderr.write(`speaker: cannot listen for metrics/health: ${(e as Error).message}\n`);
    client.close();
    return 2;
  }
  log.info('starting', { op: 'startup', server: clientConfig.server, namespace: flags.namespace, lbClass: flags.lbClass, memberlist: flags.mlBindAddr && flags.mlLabels ? `${flags.mlBindAddr}:${flags.mlBindPort}` : 'disabled' });

  const shutdown = onShutdown({
    cleanup: async (signal) => {
      log.info('shutting down: leaving memberlist, withdrawing BGP routes, no more ARP/NDP answers', { op: 'shutdown', signal });
      await speaker.stop();
      await serving.close();
      client.close();
    },
  });
  void speaker.start().catch((e) => log.error('start-up failed', { op: 'startup', error: (e as Error).stack ?? String(e) }));
  const outcome = await shutdown.done;
  if (outcome.kind !== 'clean') log.error('shutdown did not finish cleanly', { op: 'shutdown', outcome: outcome.kind, ...(outcome.kind === 'failed' ? { error: outcome.error } : {}) });
  return exitCodeOf(outcome);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`speaker: fatal: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
