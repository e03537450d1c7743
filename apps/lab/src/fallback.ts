/**
 * The demo where the lab cannot run (not root, or no network namespaces): what works on loopback
 * alone — apiserver-lite embedded in this process with deploy/crds, the bundled controller
 * allocating myapp-svc's EXTERNAL-IP from the guide's pool (moved into the lab's range).
 */
import { startApiServer } from '@metallb-ts/apiserver-lite';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MYAPP_SVC, labManifest } from './demo.js';
import { kubectlBinary, repoRoot } from './lab.js';
import { sleep } from './sys.js';
import { FIRST_POOL } from './topology.js';

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
    out();
    out(ip ? `✔ myapp-svc got EXTERNAL-IP ${ip} from first-pool` : '✘ myapp-svc did not get an IP (see the controller log above)');
    out('  Run the demo as root (sudo npm start) to see it answer ARP, fail over, and go through BGP.');
    await stop();
    return ip ? 0 : 1;
  } catch (e) {
    out(`✘ ${(e as Error).message}`);
    await stop();
    return 1;
  }
}
