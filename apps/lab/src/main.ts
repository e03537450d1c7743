/**
 * `npm start`: the one-machine demo. Starts apiserver-lite with the real CRDs, runs the bundled
 * controller against it, applies MetalLB's seed-guide manifests and a LoadBalancer Service with
 * kubectl, and shows the Service getting its EXTERNAL-IP. Loopback only; everything it starts is
 * stopped on exit. `--keep` leaves the lab running (Ctrl-C to stop) and prints the KUBECONFIG.
 */
import { startApiServer } from '@metallb-ts/apiserver-lite';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = process.cwd();
const keep = process.argv.includes('--keep');
const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const say = (s: string) => process.stdout.write(`\n\u001b[1m» ${s}\u001b[0m\n`);

const dir = mkdtempSync(join(tmpdir(), 'metallb-ts-lab-'));
const kubeconfig = join(dir, 'kubeconfig');
say('starting apiserver-lite with deploy/crds');
const api = await startApiServer({ crdsDir: join(repo, 'deploy', 'crds'), kubeconfigPath: kubeconfig });
console.log(`API server ${api.url}, kubeconfig ${kubeconfig}`);

const k = async (...args: string[]) => {
  if (!kubectl) throw new Error('kubectl is not installed (Debian: kubernetes-client)');
  say(`kubectl ${args.join(' ')}`);
  const { stdout, stderr } = await run(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { encoding: 'utf8' });
  process.stdout.write(stdout + stderr);
  return stdout;
};

say('starting the controller: node dist/apps/controller/main.mjs --kubeconfig … --namespace metallb-system');
const ctl = spawn(process.execPath, [join(repo, 'dist', 'apps', 'controller', 'main.mjs'), '--kubeconfig', kubeconfig, '--namespace', 'metallb-system', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });

let stopped = false;
async function stop(code: number): Promise<never> {
  if (!stopped) {
    stopped = true;
    ctl.kill('SIGTERM');
    await new Promise((r) => (ctl.exitCode !== null ? r(null) : ctl.once('exit', r)));
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  await k('create', 'namespace', 'metallb-system');
  await k('apply', '-f', 'deploy/examples/ipaddresspool.yaml', '-f', 'deploy/examples/l2advertisement.yaml');
  const svc = join(dir, 'myapp-svc.yaml');
  writeFileSync(
    svc,
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: myapp-svc\nspec:\n  type: LoadBalancer\n  selector:\n    app: myapp\n  ports:\n  - port: 80\n    targetPort: 8080\n',
  );
  await k('apply', '-f', svc);
  let ip = '';
  for (let i = 0; i < 100 && !ip; i++) {
    ip = (await run(kubectl!, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'svc', 'myapp-svc', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'], { encoding: 'utf8' })).stdout;
    if (!ip) await new Promise((r) => setTimeout(r, 200));
  }
  await k('get', 'svc', 'myapp-svc');
  await k('get', 'ipaddresspools', '-n', 'metallb-system');
  await k('get', 'events', '--field-selector', 'involvedObject.name=myapp-svc');
  say(ip ? `myapp-svc got EXTERNAL-IP ${ip} from first-pool` : 'myapp-svc did not get an IP (see the controller log above)');
  if (keep) {
    say(`lab running; try: KUBECONFIG=${kubeconfig} kubectl get svc -A   (Ctrl-C to stop)`);
    await new Promise(() => undefined);
  }
  await stop(ip ? 0 : 1);
} catch (e) {
  console.error(`lab: ${(e as Error).message}`);
  await stop(1);
}
