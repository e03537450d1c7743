/**
 * `lab demo` (`npm start`): MetalLB's seed-guide verification replayed for real in the lab and
 * narrated — pool and L2Advertisement, the myapp pods and myapp-svc, its EXTERNAL-IP, a curl from
 * the client, who announces it, a speaker killed and the failover timed, then BGP with ECMP on the
 * router and a curl through it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { down, labSkipReason, repoRoot, up, type KubeKind, type LabHandle } from './lab.js';
import { applyYaml, getL2StatusTable, getServiceTable } from './kubectl-lite.js';
import { waitUntil } from './sys.js';
import { ASN, DEFAULT_PREFIX, FIRST_POOL } from './topology.js';

const tty = process.stdout.isTTY === true;
const bold = (s: string) => (tty ? `\u001b[1m${s}\u001b[0m` : s);
const dim = (s: string) => (tty ? `\u001b[2m${s}\u001b[0m` : s);
const green = (s: string) => (tty ? `\u001b[32m${s}\u001b[0m` : s);
const out = (s = '') => process.stdout.write(`${s}\n`);
const indent = (s: string, n = 4) => s.trimEnd().split('\n').map((l) => ' '.repeat(n) + l).join('\n');

/** The seed guide's myapp-svc. */
export const MYAPP_SVC = `apiVersion: v1
kind: Service
metadata:
  name: myapp-svc
  namespace: default
spec:
  type: LoadBalancer
  selector:
    app: myapp
  ports:
  - port: 80
    targetPort: 8080
`;

/** The seed guide's example manifests with their addresses moved into the lab (pure). */
export function labManifest(text: string, routerV4: string): string {
  return text.replaceAll(FIRST_POOL.guide, FIRST_POOL.lab).replace(/peerAddress:\s*10\.0\.0\.1\b/g, `peerAddress: ${routerV4}`);
}

class Step {
  private readonly t0 = performance.now();
  constructor(title: string) {
    out();
    out(bold(`▸ ${title}`));
  }
  done(note = ''): void {
    out(dim(`    (${((performance.now() - this.t0) / 1000).toFixed(1)} s)${note ? ` ${note}` : ''}`));
  }
}

let noKubectlSaid = false;
function noKubectl(lab: LabHandle): boolean {
  if (lab.hasKubectl()) return false;
  if (!noKubectlSaid) out(dim('    (kubectl is not installed: the lab shows the same through the API itself)'));
  noKubectlSaid = true;
  return true;
}

/** `kubectl get …` shown on screen (or the lab's own rendering of the same table without kubectl). */
async function kubectlShow(lab: LabHandle, args: string[], builtIn: () => Promise<string>): Promise<void> {
  out(`  $ kubectl ${args.join(' ')}`);
  if (noKubectl(lab)) {
    out(indent(await builtIn()));
    return;
  }
  const r = lab.kubectl(args);
  const text = (r.out + (r.status === 0 ? '' : r.err)).trimEnd();
  if (text) out(indent(text));
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.err.trim()}`);
}

/** `kubectl apply -f` shown on screen. */
async function applyShow(lab: LabHandle, files: string, text: string): Promise<void> {
  out(`  $ kubectl apply -f ${files}`);
  if (noKubectl(lab)) {
    out(indent(await applyYaml(lab.client, text)));
    return;
  }
  const r = lab.apply(text);
  if (r.status !== 0) throw new Error(`kubectl apply failed: ${r.err.trim()}`);
  out(indent(r.out));
}

/** Runs the demo; resolves to the exit code. */
export async function runDemo(o: { kube: KubeKind; keep: boolean; prefix?: string }): Promise<number> {
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const why = labSkipReason();
  if (why) {
    const { runFallback } = await import('./fallback.js');
    return runFallback(why);
  }
  const t0 = performance.now();
  let lab: LabHandle | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    lab?.close();
    if (!o.keep || code !== 0) {
      const d = await down(prefix);
      if (code !== 0) out(dim(`  lab removed (${d.namespaces.length} namespaces)`));
    }
    process.exit(code);
  };
  process.once('SIGINT', () => {
    out('\n  interrupted: tearing the lab down');
    void stop(130);
  });
  process.once('SIGTERM', () => void stop(143));

  out(bold('metallb-ts — MetalLB\'s seed guide, verified for real on this machine'));
  out(dim('  network namespaces, documentation addresses (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) only'));
  try {
    // 1 ------------------------------------------------------------------------------------
    let s = new Step(`Building a small data centre (${prefix}-*: control plane, 3 nodes, a client, a router)`);
    lab = await up({ prefix, nodes: 3, kube: o.kube });
    const t = lab.topo;
    out(`    control plane  ${o.kube === 'lite' ? 'apiserver-lite' : 'kube-apiserver + etcd + kube-controller-manager'} at ${t.cp.v4}:6443, the MetalLB controller   (${t.cp.ns})`);
    for (const n of t.nodes) out(`    node ${n.name}        ${n.v4.padEnd(15)} ${n.mac}  speaker + kubelet/kube-proxy stand-in   (${n.ns})`);
    out(`    client         ${t.client.v4.padEnd(15)} ${t.client.mac}   (${t.client.ns})`);
    out(`    router         ${t.router.v4.padEnd(15)} FRR, AS ${ASN.router}, peers with every node   (${t.router.ns})`);
    s.done();

    // 2 ------------------------------------------------------------------------------------
    s = new Step('IPAddressPool and L2Advertisement (deploy/examples)');
    out(`    the guide's first-pool ${FIRST_POOL.guide} is moved to ${bold(FIRST_POOL.lab)} (a documentation range)`);
    const root = repoRoot();
    const manifests = ['ipaddresspool.yaml', 'l2advertisement.yaml'].map((f) => labManifest(readFileSync(join(root, 'deploy', 'examples', f), 'utf8'), t.router.v4)).join('\n---\n');
    await applyShow(lab, 'ipaddresspool.yaml -f l2advertisement.yaml', manifests);
    s.done();

    // 3 ------------------------------------------------------------------------------------
    s = new Step('The myapp Deployment (2 replicas) and the LoadBalancer Service myapp-svc');
    await lab.createPods('myapp', 2);
    const pods = await waitUntil('2 ready myapp pods', async () => {
      const p = await lab!.readyPods('myapp');
      return p.length === 2 ? p : undefined;
    }, 30_000, 100);
    for (const p of pods) out(`    pod ${p.name} on ${p.node}, IP ${p.ip}, serving HTTP on :8080`);
    if (noKubectl(lab)) await applyYaml(lab.client, MYAPP_SVC);
    else {
      const sv = lab.apply(MYAPP_SVC);
      if (sv.status !== 0) throw new Error(`kubectl apply failed: ${sv.err}`);
    }
    const [ip] = await waitUntil('myapp-svc EXTERNAL-IP', async () => {
      const i = await lab!.ingress('myapp-svc');
      return i.length ? i : undefined;
    }, 30_000, 100);
    await kubectlShow(lab, ['get', 'service', 'myapp-svc'], () => getServiceTable(lab!.client, 'myapp-svc'));
    s.done();

    // 4 ------------------------------------------------------------------------------------
    s = new Step(`curl http://${ip}/ from the client (${t.client.v4})`);
    const first = await waitUntil(`an answer from http://${ip}/`, () => {
      const r = lab!.curl(`http://${ip}/`);
      return r.ok ? r : undefined;
    }, 20_000, 200);
    out(`    ${green(first.body.trim())}`);
    s.done();

    // 5 ------------------------------------------------------------------------------------
    s = new Step(`Who answers ARP for ${ip}?`);
    const [owner] = await waitUntil('a ServiceL2Status for myapp-svc', async () => {
      const n = await lab!.l2Nodes('myapp-svc');
      return n.length ? n : undefined;
    }, 20_000, 100);
    await kubectlShow(lab, ['get', 'servicel2statuses', '-n', 'metallb-system'], () => getL2StatusTable(lab!.client));
    const nb = lab.neigh(ip!);
    out(`  client $ ip neigh show ${ip}`);
    out(`    ${nb.line}`);
    const byMac = lab.nodeByMac(nb.mac);
    out(`    → ${nb.mac} is ${byMac?.name ?? 'unknown'}'s eth0${byMac?.name === owner ? ', the node MetalLB elected' : ''}`);
    s.done();

    // 6 ------------------------------------------------------------------------------------
    s = new Step(`Failover: kill -9 the speaker on ${owner}`);
    const before = nb.mac;
    const k0 = performance.now();
    await lab.stopSpeaker(owner!, 'SIGKILL');
    const moved = await waitUntil(`the client's neighbour entry for ${ip} to move`, () => {
      const m = lab!.neigh(ip!).mac;
      return m && m !== before ? m : undefined;
    }, 30_000, 25);
    const took = (performance.now() - k0) / 1000;
    const to = lab.nodeByMac(moved);
    out(`    ${bold(`${to?.name ?? moved} took over in ${took.toFixed(1)} s`)} (memberlist noticed ${owner} was gone; the client learned ${moved} from a gratuitous ARP)`);
    const next = await waitUntil('curl after failover', () => {
      const r = lab!.curl(`http://${ip}/`);
      return r.ok ? r : undefined;
    }, 20_000, 100);
    out(`    curl http://${ip}/ → ${green(next.body.trim())}`);
    lab.startSpeaker(owner!);
    await waitUntil(`the speaker on ${owner} ready again`, () => lab!.httpStatus(lab!.node(owner!).ns, 7472, '/readyz') === 200, 30_000, 200);
    out(`    the speaker on ${owner} is back (as its DaemonSet would restart it)`);
    s.done();

    // 7 ------------------------------------------------------------------------------------
    s = new Step('BGP: the guide\'s BGPPeer and BGPAdvertisement (deploy/examples/bgp.yaml)');
    out(`    peerAddress 10.0.0.1 is the lab's router ${t.router.v4} (AS ${ASN.router}); the nodes are AS ${ASN.nodes}`);
    await applyShow(lab, 'bgp.yaml', labManifest(readFileSync(join(root, 'deploy', 'examples', 'bgp.yaml'), 'utf8'), t.router.v4));
    const route = await waitUntil(`the router's route to ${ip} with ${t.nodes.length} next hops`, () => {
      const r = lab!.routerRoute(ip!);
      return r.nexthops.length === t.nodes.length ? r : undefined;
    }, 45_000, 200);
    out(`  router $ ip route show ${ip}`);
    out(indent(route.text));
    out(`    → one next hop per node (ECMP): ${route.nexthops.map((h) => `${lab!.topo.nodes.find((n) => n.v4 === h)?.name ?? h}`).join(', ')}`);
    lab.exec(t.client.ns, ['ip', 'route', 'replace', `${ip}/32`, 'via', t.router.v4]);
    out(`  client $ ip route add ${ip}/32 via ${t.router.v4}   (send it through the router)`);
    const via = await waitUntil('curl through the router', () => {
      const r = lab!.curl(`http://${ip}/`);
      return r.ok ? r : undefined;
    }, 20_000, 200);
    out(`  client $ curl http://${ip}/`);
    out(`    ${green(via.body.trim())}`);
    lab.exec(t.client.ns, ['ip', 'route', 'del', `${ip}/32`]);
    s.done();

    // end ----------------------------------------------------------------------------------
    out();
    out(bold(green(`✔ The whole story works: ${((performance.now() - t0) / 1000).toFixed(0)} s.`)));
    if (o.keep) {
      out(`  The lab is still running. Explore it:`);
      out(`    KUBECONFIG=${lab.kubeconfig} kubectl get ipaddresspools -n metallb-system`);
      out(`    sudo ip netns exec ${t.client.ns} curl http://${ip}/`);
      out(`    node dist/apps/lab/main.mjs down     # when done`);
      lab.close();
      process.exit(0);
    }
    out('  Keep exploring — the same lab, left running until Ctrl-C:');
    out(`    node dist/apps/lab/main.mjs up${o.kube === 'real' ? ' --kube real' : ''}`);
    out(`    KUBECONFIG=$(node dist/apps/lab/main.mjs kubeconfig) kubectl get ipaddresspools -n metallb-system`);
    await stop(0);
    return 0;
  } catch (e) {
    out();
    out(`✘ ${(e as Error).message}`);
    if (lab) for (const p of lab.state.procs) {
      const tl = lab.tail(p.role, 4);
      if (tl) out(dim(`  --- ${p.role} (${p.log})\n${indent(tl)}`));
    }
    await stop(1);
    return 1;
  }
}
