/**
 * `lab _node`: the parts of kubelet and kube-proxy the lab needs, one process per node namespace.
 *
 * - kubelet: Pods bound to this node (`spec.nodeName`) become small HTTP servers on a pod address
 *   of the node's pod range (added to the node's `lo`; `arp_ignore=1` keeps eth0 from answering ARP for it); the Pod's status then says
 *   Running, Ready, `podIP`/`podIPs`, `hostIP`, so the EndpointSlice controller lists it. A
 *   deleted Pod's server and addresses go. The server answers `GET /` with one line naming the
 *   pod, its node and the client address it saw.
 * - kube-proxy: Services and EndpointSlices are watched and {@link proxyRuleset} is applied with
 *   `nft -f -` whenever it changes.
 */
import { KubeClient, Informer, loadClientConfig, Resources, isApiError, type KubeObject } from '@metallb-ts/k8s-watch';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { endpointsFromSlice, proxyRuleset, serviceFromObject, type ProxyEndpoint, type ProxyService } from './proxy-rules.js';
import { podAddress, type NodeHost } from './topology.js';

/** Options of {@link runNodeAgent}. */
export interface NodeAgentOptions {
  readonly kubeconfig: string;
  readonly node: NodeHost;
}

interface RunningPod {
  readonly key: string;
  readonly slot: number;
  readonly v4: string;
  readonly v6: string;
  readonly servers: Server[];
}

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), msg, ...fields })}\n`);

function sh(argv: string[], input?: string): { ok: boolean; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Runs until SIGTERM/SIGINT. */
export async function runNodeAgent(o: NodeAgentOptions): Promise<void> {
  const client = new KubeClient(loadClientConfig({ kubeconfig: o.kubeconfig, qps: 200, burst: 200 }));
  const node = o.node;
  const running = new Map<string, RunningPod>();

  // ---- kubelet ---------------------------------------------------------------------------
  const pods = new Informer<KubeObject>({ client, resource: Resources.pods, fieldSelector: `spec.nodeName=${node.name}` });
  const syncing = new Set<string>();
  const pending = new Set<string>();

  async function syncPod(key: string): Promise<void> {
    if (syncing.has(key)) {
      pending.add(key);
      return;
    }
    syncing.add(key);
    try {
      const pod = pods.store.get(key);
      const have = running.get(key);
      if (!pod || pod.metadata.deletionTimestamp) {
        if (have) await stopPod(have);
        if (pod?.metadata.deletionTimestamp) {
          // the kubelet's final delete: grace period 0 once the containers are gone
          const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
          await client.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } }).catch(() => undefined);
        }
        return;
      }
      if (String(pod.metadata.labels?.['component'] ?? '') === 'speaker' && (pod.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork) return; // the speaker Pod: its process is managed by the lab
      if (have) return;
      const status = pod.status as { podIP?: string; podIPs?: { ip: string }[] } | undefined;
      // a Pod this agent served before a restart keeps its addresses
      let slot = 0;
      if (status?.podIP) {
        const k = Number(status.podIP.split('.').pop()) - 16 * node.index;
        if (k >= 1 && k <= 14 && podAddress(node, k).v4 === status.podIP) slot = k;
      }
      if (!slot) {
        const used = new Set([...running.values()].map((r) => r.slot));
        for (let k = 1; k <= 14 && !slot; k++) if (!used.has(k)) slot = k;
      }
      if (!slot) throw new Error(`no free pod address on ${node.name}`);
      const addr = podAddress(node, slot);
      const containers = (pod.spec as { containers?: { ports?: { containerPort?: number }[] }[] } | undefined)?.containers ?? [];
      const port = containers[0]?.ports?.[0]?.containerPort ?? 8080;
      sh(['ip', 'addr', 'replace', `${addr.v4}/32`, 'dev', 'lo']);
      sh(['ip', 'addr', 'replace', `${addr.v6}/128`, 'dev', 'lo', 'nodad']);
      const name = pod.metadata.name!;
      const servers: Server[] = [];
      for (const host of [addr.v4, addr.v6]) {
        const srv = createServer((req, res) => {
          const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
          res.setHeader('content-type', 'text/plain');
          res.end(`Hello from ${name} on ${node.name} (${host}), you came from ${from}\n`);
        });
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, host, () => resolve());
        });
        servers.push(srv);
      }
      running.set(key, { key, slot, v4: addr.v4, v6: addr.v6, servers });
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
      await client.patch(Resources.pods, pod.metadata.namespace, name, 'application/merge-patch+json', {
        status: {
          phase: 'Running',
          hostIP: node.v4,
          hostIPs: [{ ip: node.v4 }, { ip: node.v6 }],
          podIP: addr.v4,
          podIPs: [{ ip: addr.v4 }, { ip: addr.v6 }],
          startTime: now,
          conditions: [cond('PodScheduled'), cond('Initialized'), cond('ContainersReady'), cond('Ready')],
          containerStatuses: containers.map((c, i) => ({ name: (c as { name?: string }).name ?? `c${i}`, ready: true, started: true, restartCount: 0, image: 'lab', imageID: 'lab', state: { running: { startedAt: now } } })),
        },
      }, {}, 'status');
      log('pod running', { pod: key, v4: addr.v4, v6: addr.v6, port });
    } catch (e) {
      if (!isApiError(e, 404)) log('pod sync failed', { pod: key, error: (e as Error).message });
    } finally {
      syncing.delete(key);
      if (pending.delete(key)) void syncPod(key);
    }
  }

  async function stopPod(p: RunningPod): Promise<void> {
    running.delete(p.key);
    await Promise.all(p.servers.map((s) => new Promise((r) => s.close(() => r(null)))));
    sh(['ip', 'addr', 'del', `${p.v4}/32`, 'dev', 'lo']);
    sh(['ip', 'addr', 'del', `${p.v6}/128`, 'dev', 'lo']);
    log('pod stopped', { pod: p.key });
  }

  const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  pods.addEventHandler({ onAdd: (o) => void syncPod(keyOf(o)), onUpdate: (_, o) => void syncPod(keyOf(o)), onDelete: (o) => void syncPod(keyOf(o)) });

  // ---- kube-proxy ------------------------------------------------------------------------
  const services = new Informer<KubeObject>({ client, resource: Resources.services });
  const slices = new Informer<KubeObject>({ client, resource: Resources.endpointSlices });
  let applied = '';
  let timer: NodeJS.Timeout | undefined;
  const resync = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!services.hasSynced() || !slices.hasSynced()) return;
      const svcs = services.store.list().map(serviceFromObject).filter((s): s is ProxyService => !!s);
      const eps = new Map<string, ProxyEndpoint[]>();
      for (const s of slices.store.list()) {
        const svc = s.metadata.labels?.['kubernetes.io/service-name'];
        if (!svc) continue;
        const key = `${s.metadata.namespace}/${svc}`;
        eps.set(key, [...(eps.get(key) ?? []), ...endpointsFromSlice(s as { endpoints?: unknown; ports?: unknown })]);
      }
      const text = proxyRuleset(node.name, svcs, eps);
      if (text === applied) return;
      const r = sh(['nft', '-f', '-'], text);
      if (r.ok) {
        applied = text;
        log('proxy rules applied', { services: svcs.length, rules: text.split('\n').filter((l) => l.includes('daddr')).length });
      } else {
        log('proxy rules failed', { error: r.out.slice(0, 2000) });
      }
    }, 30);
  };
  for (const i of [services, slices]) i.addEventHandler({ onAdd: resync, onUpdate: resync, onDelete: resync });

  for (const i of [pods, services, slices]) i.start();
  log('node agent started', { node: node.name });
  await Promise.all([pods, services, slices].map((i) => i.waitForSync()));
  resync();
  log('node agent synced', { node: node.name });

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await Promise.all([pods, services, slices].map((i) => i.stop()));
  for (const p of [...running.values()]) await stopPod(p);
  client.close();
  log('node agent stopped', { node: node.name });
}
