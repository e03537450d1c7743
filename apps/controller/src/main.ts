/**
 * `controller`: the metallb-ts controller binary, a composition of `@metallb-ts/app-runtime`
 * (flags, logging, probes, shutdown) and the {@link Controller}. Bundled to
 * `dist/apps/controller/main.mjs`.
 *
 *   node dist/apps/controller/main.mjs --kubeconfig FILE --namespace metallb-system --port 7472
 */
// First: V8 options that must be set before the rest of the bundle allocates (see v8-options.ts).
import './v8-options.js';
import { createLogger, exitCodeOf, onShutdown, parseCommandLine, planServing, startServing, type Logger, type Serving } from '@metallb-ts/app-runtime';
import { systemClock, systemRng } from '@metallb-ts/clock';
import { LeaderElector } from '@metallb-ts/election';
import { KubeClient, loadClientConfig } from '@metallb-ts/k8s-watch';
import { Controller } from './controller.js';
import { FLAGS, PROGRAM, validateFlags, type ControllerFlags } from './flags.js';
import { Leadership } from './leadership.js';
import { KubeLeaseStore } from './lease-store.js';
import { ControllerMetrics } from './metrics.js';

export async function main(argv: string[]): Promise<number> {
  const cl = parseCommandLine({ ...PROGRAM, table: FLAGS, argv, validate: validateFlags });
  if (cl.kind === 'exit') return cl.code;
  const flags = cl.flags;
  const log = createLogger({ level: flags.logLevel });
  let clientConfig;
  try {
    clientConfig = loadClientConfig({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), userAgent: 'metallb-ts-controller', qps: flags.kubeApiQps, burst: flags.kubeApiBurst });
  } catch (e) {
    process.stderr.write(`controller: cannot load the Kubernetes client configuration: ${(e as Error).message}\n`);
    return 2;
  }
  const client = new KubeClient(clientConfig);
  const metrics = new ControllerMetrics();
  const controller = new Controller({ client, flags, log, metrics });
  let leadership: Leadership | undefined;
  // Liveness and readiness tell the truth about leadership too: a replica that lost its term is
  // not ready until it stands again, and not live if it never does.
  const probe = {
    notReady: () => controller.notReady() ?? leadership?.notReady(),
    notLive: () => leadership?.notLive(),
  };
  // /metrics, /healthz, /readyz; with --metrics-secure /metrics is HTTPS with TokenReview auth.
  let serving: Serving;
  try {
    serving = await startServing({ plan: planServing(flags), metrics, probe, program: 'controller', log, api: client });
  } catch (e) {
    process.stderr.write(`controller: cannot listen for metrics/health: ${(e as Error).message}\n`);
    client.close();
    return 2;
  }
  log.info('starting', { op: 'startup', server: clientConfig.server, namespace: flags.namespace, lbClass: flags.lbClass, identity: flags.identity, leaderElect: flags.leaderElect });

  const shutdown = onShutdown({
    cleanup: async (signal) => {
      log.info('shutting down', { op: 'shutdown', signal });
      await controller.deactivate();
      await leadership?.stop();
      await controller.stop();
      await serving.close();
      client.close();
    },
  });

  void controller.startInformers().catch((e) => log.error('informers failed', { error: e }));
  if (!flags.leaderElect) {
    void controller.activate().catch((e) => log.error('activation failed', { error: e }));
  } else {
    leadership = startElection(flags, client, controller, metrics, log);
  }
  const outcome = await shutdown.done;
  if (outcome.kind !== 'clean') log.error('shutdown did not finish cleanly', { op: 'shutdown', outcome: outcome.kind, ...(outcome.kind === 'failed' ? { error: outcome.error } : {}) });
  return exitCodeOf(outcome);
}

/**
 * Leadership through a `coordination.k8s.io` Lease: the leader allocates, the others stand by; a
 * replica that loses its term stands again (see `leadership.ts` for why it does not exit).
 */
function startElection(flags: ControllerFlags, client: KubeClient, controller: Controller, metrics: ControllerMetrics, log: Logger): Leadership {
  const elector = new LeaderElector(
    {
      identity: flags.identity,
      leaseDurationMs: flags.leaseDurationSeconds * 1000,
      renewDeadlineMs: flags.renewDeadlineSeconds * 1000,
      retryPeriodMs: flags.retryPeriodSeconds * 1000,
    },
    { clock: systemClock, rng: systemRng, store: new KubeLeaseStore(client, flags.namespace, flags.leaseName) },
  );
  const leadership = new Leadership({
    elector,
    target: controller,
    log,
    clock: systemClock,
    leaderGauge: metrics.leader,
    onStoreError: (error) => controller.warn.warn('api:lease', 'lease read or write failed, retrying', { op: 'leaderElection', error: String((error as Error)?.message ?? error) }),
  });
  leadership.start();
  return leadership;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`controller: fatal: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
