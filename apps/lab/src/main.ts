/**
 * `lab` — the whole metallb-ts system on one machine (bundled to dist/apps/lab/main.mjs):
 * `up`, `demo` (the default; `npm start`), `status`, `down`, `kubeconfig`. The commands starting
 * with `_` are the lab's own daemons (the API server, the relays, the node agents) started by `up`.
 */
import { runCli } from '@metallb-ts/apiserver-lite';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, USAGE, UsageError, type LabArgs } from './args.js';
import { alive, down, LabHandle, labDir, labSkipReason, readState, up } from './lab.js';
import { sleep, startTime } from './sys.js';
import { topology } from './topology.js';

const argv = process.argv.slice(2);

async function internal(cmd: string, rest: string[]): Promise<number> {
  switch (cmd) {
    case '_apiserver':
      return runCli(rest);
    case '_relay-in': {
      const { relayIn } = await import('./relay.js');
      await relayIn(rest[0]!, rest[1]!, Number(rest[2]));
      return 0;
    }
    case '_relay-out': {
      const { relayOut } = await import('./relay.js');
      await relayOut(rest[0]!, Number(rest[1]), rest[2]!);
      return 0;
    }
    case '_node': {
      const { runNodeAgent } = await import('./agent.js');
      const get = (f: string) => rest[rest.indexOf(f) + 1]!;
      const t = topology(get('--prefix'), Number(get('--nodes')));
      const node = t.nodes.find((n) => n.name === get('--name'));
      if (!node) throw new Error(`no node ${get('--name')}`);
      await runNodeAgent({ kubeconfig: get('--kubeconfig'), node });
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

async function cmdUp(a: LabArgs): Promise<number> {
  const why = labSkipReason();
  if (why) {
    console.error(`lab up: ${why}`);
    return 1;
  }
  const t0 = performance.now();
  const metallb = { ...(a.metallbController ? { controller: a.metallbController } : {}), ...(a.metallbSpeaker ? { speaker: a.metallbSpeaker } : {}) };
  const lab = await up({ prefix: a.prefix, nodes: a.nodes, kube: a.kube, metallb, log: (l) => console.log(`  ${l}`) });
  const t = lab.topo;
  console.log(`lab "${a.prefix}" is up in ${((performance.now() - t0) / 1000).toFixed(1)} s (${a.kube === 'lite' ? 'apiserver-lite' : 'the real control plane'}, ${t.nodes.length} nodes)`);
  console.log(`  namespaces  ${[t.cp, ...t.nodes, t.client, t.router].map((h) => h.ns).join(' ')}`);
  console.log(`  nodes       ${t.nodes.map((n) => `${n.name} ${n.v4}`).join(', ')}; client ${t.client.v4}; router ${t.router.v4} (FRR, AS 64501)`);
  console.log(`  pools       use 198.51.100.101-198.51.100.150 (IPv4) and 2001:db8::100:0/112 (IPv6)`);
  console.log(`  try         KUBECONFIG=${lab.kubeconfig} kubectl get ipaddresspools -n metallb-system`);
  console.log(`              ip netns exec ${t.client.ns} curl http://<EXTERNAL-IP>/`);
  console.log(`  KUBECONFIG=${lab.kubeconfig}`);
  if (a.detach) {
    lab.close();
    return 0;
  }
  console.log('Ctrl-C (or "lab down") tears it down.');
  lab.state.supervisor = { pid: process.pid, start: startTime(process.pid) ?? '' };
  lab.record(lab.state.procs[0]!); // writes the state with the supervisor
  lab.close();
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  process.once('SIGTERM', () => (stop = true));
  while (!stop && existsSync(`${labDir(a.prefix)}/state.json`)) await sleep(300);
  if (existsSync(`${labDir(a.prefix)}/state.json`)) {
    console.log('tearing the lab down…');
    const d = await down(a.prefix);
    console.log(`lab "${a.prefix}" is down (${d.procs} processes stopped, ${d.namespaces.length} namespaces deleted)`);
  }
  return 0;
}

async function cmdStatus(a: LabArgs): Promise<number> {
  const st = readState(a.prefix);
  if (!st) {
    console.log(`no lab "${a.prefix}" (nothing at ${labDir(a.prefix)})`);
    return 1;
  }
  let ok = st.ready;
  console.log(`lab "${st.prefix}": ${st.kube === 'lite' ? 'apiserver-lite' : 'the real control plane'}, ${st.nodes} nodes, ${st.ready ? 'ready' : 'not ready'}`);
  for (const p of st.procs) {
    const on = alive(p);
    ok &&= on;
    const metallb = (p as { impl?: string }).impl === 'metallb' ? "  (MetalLB's)" : '';
    console.log(`  ${p.role.padEnd(16)} ${on ? 'running' : 'STOPPED'}  pid ${p.pid}${p.ns ? `  in ${p.ns}` : ''}${metallb}`);
  }
  // the real control plane's processes, as kube-lab recorded them
  const kubePids = `${st.dir}/kube/pids.json`;
  if (st.kube === 'real' && existsSync(kubePids)) {
    try {
      const recs = JSON.parse(readFileSync(kubePids, 'utf8')) as { name: string; pid: number; startTime: string }[];
      for (const r of Array.isArray(recs) ? recs : []) {
        const on = alive({ pid: r.pid, start: r.startTime });
        ok &&= on;
        console.log(`  ${r.name.padEnd(16)} ${on ? 'running' : 'STOPPED'}  pid ${r.pid}  in ${st.prefix}-cp (kube-lab)`);
      }
    } catch {
      console.log(`  (could not read ${kubePids})`);
    }
  }
  const lab = LabHandle.attach(a.prefix);
  try {
    const r = lab.kubectl(['get', 'services', '-A', '--field-selector', 'spec.type=LoadBalancer']);
    if (r.status === 0) console.log(r.out.trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
    else {
      ok = false;
      console.log(`  API server: ${r.err.trim()}`);
    }
  } finally {
    lab.close();
  }
  console.log(`  KUBECONFIG=${lab.kubeconfig}`);
  return ok ? 0 : 1;
}

async function main(): Promise<number> {
  if (argv[0]?.startsWith('_')) return internal(argv[0], argv.slice(1));
  let a: LabArgs;
  try {
    a = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) console.error(`lab: ${e.message}`);
      console.error(USAGE);
      return e.message ? 2 : 0;
    }
    throw e;
  }
  switch (a.command) {
    case 'up':
      return cmdUp(a);
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      return runDemo({ kube: a.kube, keep: a.keep, prefix: a.prefix });
    }
    case 'status':
      return cmdStatus(a);
    case 'down': {
      const d = await down(a.prefix);
      console.log(`lab "${a.prefix}" is down (${d.procs} processes stopped, ${d.namespaces.length} namespaces deleted)`);
      return 0;
    }
    case 'kubeconfig': {
      const st = readState(a.prefix);
      if (!st) {
        console.error(`no lab "${a.prefix}": run "lab up" first`);
        return 1;
      }
      console.log(`${st.dir}/kubeconfig`);
      return 0;
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`lab: ${(e as Error).message ?? String(e)}`);
    process.exitCode = 1;
  },
);
