/**
 * `kube-lab`: the command-line face of {@link up}, {@link status}, {@link down}. Progress goes to
 * stderr; `up` prints `KUBECONFIG=<DIR>/admin.kubeconfig` as its last line on stdout.
 */
import { resolve } from 'node:path';
import { ensureBinaries } from './build.js';
import { parseCliArgs, USAGE } from './cli-args.js';
import { down, serviceAccountKubeconfig, status, up } from './cluster.js';
import { ensureHelm, helm } from './helm.js';

const log = (line: string) => process.stderr.write(`kube-lab: ${line}\n`);

/** Runs one `kube-lab` command line and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const a = parseCliArgs(argv);
  if (!a.ok) {
    process.stderr.write(`kube-lab: ${a.error}\n${USAGE}\n`);
    return 2;
  }
  try {
    switch (a.command) {
      case 'build': {
        const b = await ensureBinaries({ log });
        for (const [k, v] of Object.entries(b)) process.stdout.write(`${k}=${v}\n`);
        if (a.helm) process.stdout.write(`helm=${await ensureHelm({ log })}\n`);
        return 0;
      }
      case 'helm': {
        await ensureHelm({ log });
        const r = await helm(a.helmArgs, { timeoutMs: 3_600_000 });
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        return r.code;
      }
      case 'up': {
        const cp = await up({
          dir: a.dir!,
          ...(a.address ? { address: a.address } : {}),
          ...(a.netns ? { netns: a.netns } : {}),
          ...(a.apiserverPort ? { apiserverPort: a.apiserverPort } : {}),
          ...(a.serviceCidr ? { serviceCidr: a.serviceCidr } : {}),
          etcdUnsafeNoFsync: a.etcdUnsafeNoFsync,
          log,
        });
        process.stdout.write(`server=${cp.server}\n${cp.processes.map((p) => `${p.name}=${p.pid}`).join('\n')}\nKUBECONFIG=${cp.kubeconfig}\n`);
        return 0;
      }
      case 'status': {
        const s = await status({ dir: a.dir! });
        process.stdout.write(`dir=${s.dir}\nserver=${s.server ?? '-'}\n`);
        for (const p of s.processes) process.stdout.write(`${p.name} pid=${p.pid} ${p.state}\n`);
        process.stdout.write(`running=${s.running} ready=${s.ready}\n`);
        return s.running && s.ready ? 0 : 1;
      }
      case 'down': {
        const stopped = await down({ dir: a.dir!, purge: a.purge, log });
        process.stdout.write(`stopped: ${stopped.length ? stopped.join(', ') : 'nothing was running'} (${resolve(a.dir!)})\n`);
        return 0;
      }
      case 'kubeconfig': {
        const path = await serviceAccountKubeconfig({ dir: a.dir!, namespace: a.namespace!, name: a.serviceAccount! });
        process.stdout.write(`${path}\n`);
        return 0;
      }
    }
  } catch (err) {
    process.stderr.write(`kube-lab ${a.command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
