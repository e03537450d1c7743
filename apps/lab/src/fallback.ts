/**
 * The demo where the lab cannot run (not root, or no network namespaces): what works on loopback
 * alone — apiserver-lite embedded in this process with deploy/crds, the bundled controller
 * allocating myapp-svc's EXTERNAL-IP from the guide's pool (moved into the lab's range), and,
 * without root, the bundled speaker of a node `n1` (127.0.0.1) advertising it over BGP to a
 * router on loopback ({@link startLoopbackRouter}, a port above 1024). With root but no network
 * namespaces the speaker is not started: it would open raw sockets on this machine's interfaces.
 */
import { startApiServer } from '@metallb-ts/apiserver-lite';
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MYAPP_SVC, labManifest } from './demo.js';
import { kubectlBinary, repoRoot } from './lab.js';
import { sleep } from './sys.js';
import { startLoopbackRouter } from './loopback-router.js';
import { ASN, FIRST_POOL } from './topology.js';

const out = (s = '') => process.stdout.write(`${s}\n`);
const bold = (s: string) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[0m` : s);

/** Runs the loopback-only demo; resolves to the exit code. */
export async function runFallback(why: string): Promise<number> {
  const root = repoRoot();
  out(bold("metallb-ts — MetalLB's seed guide on loopback only"));
  out(`  The full lab (nodes, ARP, BGP, curl) cannot run here: ${why}.`);
  out('  What runs instead: the embedded API server and the controller allocating the Service IP.');
  const dir = mkdtempSync(join(tmpdir(), 'metallb-ts-lab-'));
  const api = await startApiServer({ crdsDir: join(root, 'deploy', 'crds'), kubeconfigPath: join(dir, 'kubeconfig') });
  const ctl = spawn(process.execPath, [join(root, 'dist', 'apps', 'controller', 'main.mjs'), '--kubeconfig', join(dir, 'kubeconfig'), '--namespace', 'metallb-system', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = async () => {
    ctl.kill('SIGTERM');
    if (ctl.exitCode === null) await new Promise((r) => ctl.once('exit', r));
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    out();
    out(bold(`▸ apiserver-lite at ${api.url}, the controller (dist/apps/controller/main.mjs)`));
    api.apply('apiVersion: v1\nkind: Namespace\nmetadata: {name: metallb-system}\n');
    out(`    the guide's first-pool ${FIRST_POOL.guide} is moved to ${FIRST_POOL.lab}`);
    for (const f of ['ipaddresspool.yaml', 'l2advertisement.yaml']) api.apply(labManifest(readFileSync(join(root, 'deploy', 'examples', f), 'utf8'), '198.51.100.2'));
    api.apply(MYAPP_SVC);
    out('    applied ipaddresspool.yaml, l2advertisement.yaml and myapp-svc');
    let ip = '';
    for (let i = 0; i < 150 && !ip; i++) {
      let svc: { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined;
      try {
        svc = api.server.api.get(api.server.api.mustType('', 'v1', 'services'), 'default', 'myapp-svc') as typeof svc;
      } catch {
        svc = undefined;
      }
      ip = svc?.status?.loadBalancer?.ingress?.[0]?.ip ?? '';
      if (!ip) await sleep(200);
    }
    out();
    out(bold('▸ kubectl get service myapp-svc'));
    const kubectl = kubectlBinary('lite');
    if (kubectl && existsSync(kubectl)) {
      // asynchronously: the API server answering kubectl runs in this very process
      const text = await new Promise<string>((resolve) => {
        execFile(kubectl, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), 'get', 'service', 'myapp-svc'], { timeout: 30_000, encoding: 'utf8' }, (_e, so, se) => resolve(`${so}${se}`));
      });
      out(text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n'));
    } else {
      out(`    myapp-svc   LoadBalancer   EXTERNAL-IP ${ip || '<pending>'}   (kubectl is not installed)`);
    }
    let bgp: boolean | undefined;
    if (ip && process.getuid?.() !== 0) bgp = await loopbackBgp(root, dir, api.url, ip);
    out();
    out(ip ? `✔ myapp-svc got EXTERNAL-IP ${ip} from first-pool${bgp ? ', and a router on loopback learned it over BGP' : ''}` : '✘ myapp-svc did not get an IP (see the controller log above)');
    out('  Run the demo as root (sudo npm start) to see it answer ARP, fail over, and ECMP through a real router.');
    await stop();
    return ip && bgp !== false ? 0 : 1;
  } catch (e) {
    out(`✘ ${(e as Error).message}`);
    await stop();
    return 1;
  }
}

/** JSON merge patch of a `/status` subresource (the Node's address, the pod's readiness). */
async function patchStatus(url: string, path: string, status: unknown): Promise<void> {
  const r = await fetch(`${url}${path}/status`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ status }) });
  if (!r.ok) throw new Error(`PATCH ${path}/status: ${r.status} ${await r.text()}`);
}

/**
 * The guide's BGP step on loopback: node n1 at 127.0.0.1 with one ready myapp pod, the guide's
 * BGPPeer pointed at the loopback router, the bundled speaker (log in DIR/speaker.log). Resolves
 * whether the router received the route (and says so either way).
 */
async function loopbackBgp(root: string, dir: string, url: string, ip: string): Promise<boolean> {
  out();
  out(bold('▸ BGP to a router on loopback'));
  const router = await startLoopbackRouter({ asn: ASN.router, peerAsn: ASN.nodes });
  const log = join(dir, 'speaker.log');
  let speaker: ReturnType<typeof spawn> | undefined;
  try {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!r.ok && r.status !== 409) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    };
    await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await patchStatus(url, '/api/v1/nodes/n1', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] });
    await post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'myapp-0', namespace: 'default', labels: { app: 'myapp' } }, spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'myapp', ports: [{ containerPort: 8080 }] }] } });
    await patchStatus(url, '/api/v1/namespaces/default/pods/myapp-0', { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] });
    await post('/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers', { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'sample', namespace: 'metallb-system' }, spec: { myASN: ASN.nodes, peerASN: ASN.router, peerAddress: '127.0.0.1', peerPort: router.port } });
    await post('/apis/metallb.io/v1beta1/namespaces/metallb-system/bgpadvertisements', { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'example', namespace: 'metallb-system' } });
    out(`    the guide's BGPPeer "sample" (AS ${ASN.nodes} → AS ${ASN.router}) points at a router on 127.0.0.1:${router.port}; node n1 is 127.0.0.1`);
    const fd = openSync(log, 'a');
    try {
      speaker = spawn(process.execPath, [join(root, 'dist', 'apps', 'speaker', 'main.mjs'), '--node-name', 'n1', '--namespace', 'metallb-system', '--kubeconfig', join(dir, 'kubeconfig'), '--port', '0', '--log-level', 'info'], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    // The router counts routes; the speaker's ServiceBGPStatus says which Service went to which peer.
    const advertised = async (): Promise<boolean> => {
      const r = await fetch(`${url}/apis/metallb.io/v1beta1/namespaces/metallb-system/servicebgpstatuses`).catch(() => undefined);
      const l = r?.ok ? ((await r.json()) as { items?: { status?: { serviceName?: string; peers?: string[] } }[] }) : undefined;
      return (l?.items ?? []).some((o) => o.status?.serviceName === 'myapp-svc' && (o.status.peers ?? []).includes('sample'));
    };
    const t0 = Date.now();
    let st = router.state();
    let shown = false;
    while (Date.now() - t0 < 30_000 && !(st.established && st.routes > 0 && shown) && speaker.exitCode === null) {
      await sleep(200);
      st = router.state();
      shown = st.routes > 0 && (await advertised());
    }
    if (st.established && st.routes > 0 && shown) {
      out(`    the speaker of n1 (dist/apps/speaker/main.mjs; BGP needs no root) → session Established (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      out(`    the router holds ${st.routes} route; ServiceBGPStatus: myapp-svc (${ip}/32) advertised by n1 to peer "sample"`);
      return true;
    }
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-5) : [];
    out(`✘ the router did not receive ${ip}/32 within 30 s (session ${st.established ? 'established' : 'not established'}); the speaker's last log lines:`);
    for (const l of tail) out(`    ${l}`);
    return false;
  } finally {
    if (speaker && speaker.exitCode === null) {
      speaker.kill('SIGTERM');
      await new Promise((r) => speaker!.once('exit', r));
    }
    await router.stop();
  }
}
