/**
 * Support of the e2e scenarios: a lab brought up with the built `lab` bundle (its own prefix, so a
 * user's lab may run meanwhile), driven through {@link LabHandle}, and what a user would look at:
 * kubectl output, curl from the client, the router's table, the client's neighbour table, arping.
 */
import { runChild, waitFor } from '@metallb-ts/test-lab';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kubectlBinary, LabHandle, type KubeKind } from '../src/lab.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const LAB = join(ROOT, 'dist', 'apps', 'lab', 'main.mjs');

/** `node dist/apps/lab/main.mjs …` → { status, stdout, stderr }. */
export function labCli(args: string[], timeoutMs = 180_000) {
  return runChild([process.execPath, LAB, ...args], { cwd: ROOT, timeoutMs });
}

/** Why the real control plane cannot run here (kube-lab's binaries neither cached nor buildable), or undefined. */
export function realSkipReason(): string | undefined {
  const cache = join(process.env['XDG_CACHE_HOME'] ?? join(process.env['HOME'] ?? '/root', '.cache'), 'metallb-ts', 'kube');
  if (existsSync(cache) && existsSync(join(ROOT, 'tools', 'kube', 'bin', 'kube-lab.mjs'))) return undefined;
  if (!existsSync('/usr/local/go/bin/go')) return 'the real control plane (and the pinned kubectl) needs Go 1.26 at /usr/local/go to build kube-lab binaries';
  return undefined;
}

/** The lab of one e2e suite. */
export class E2E {
  lab!: LabHandle;
  constructor(readonly kube: KubeKind, readonly prefix: string) {}

  async up(nodes = 3, extraArgs: readonly string[] = []): Promise<void> {
    if (this.kube === 'real' || !kubectlBinary('lite')) {
      // the binaries (built once per machine; a no-op when cached); also the pinned kubectl where none is installed
      const b = await runChild([process.execPath, join(ROOT, 'tools', 'kube', 'bin', 'kube-lab.mjs'), 'build'], { cwd: ROOT, timeoutMs: 3_500_000 });
      if (b.status !== 0) throw new Error(`kube-lab build failed: ${b.stderr}`);
    }
    const r = await labCli(['up', '--detach', '--kube', this.kube, '--nodes', String(nodes), '--prefix', this.prefix, ...extraArgs], 300_000);
    if (r.status !== 0) throw new Error(`lab up failed: ${r.stdout}\n${r.stderr}`);
    this.lab = LabHandle.attach(this.prefix);
  }

  async down(): Promise<void> {
    this.lab?.close();
    await labCli(['down', '--prefix', this.prefix], 60_000);
  }

  /** kubectl; throws with its stderr unless it exits 0. */
  kubectl(...args: string[]): string {
    const r = this.lab.kubectl(args);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  }

  /** kubectl apply of YAML text; throws unless it exits 0. */
  apply(text: string): string {
    const r = this.lab.apply(text);
    if (r.status !== 0) throw new Error(`kubectl apply: ${r.err}\n${text}`);
    return r.out;
  }

  /** The EXTERNAL-IP column of `kubectl get service NAME` (split on commas), once it is not <pending>. */
  async externalIps(name: string, count = 1, timeoutMs = 30_000): Promise<string[]> {
    return waitFor(`${name} EXTERNAL-IP (${count})`, () => {
      const ips = this.externalIpColumn(name);
      return ips.length >= count ? ips : undefined;
    }, { timeoutMs, everyMs: 200 });
  }

  /** The EXTERNAL-IP column now ([] when <pending>). */
  externalIpColumn(name: string): string[] {
    const out = this.kubectl('get', 'service', name, '--no-headers');
    const col = out.trim().split(/\s+/)[3] ?? '';
    return col === '<pending>' || col === '<none>' ? [] : col.split(',');
  }

  /** curl from the client until it answers (bounded); returns the body. */
  async curl(url: string, o: { match?: RegExp; timeoutMs?: number } = {}): Promise<string> {
    return waitFor(`curl ${url}${o.match ? ` matching ${o.match}` : ''}`, () => {
      const r = this.lab.curl(url);
      return r.ok && (!o.match || o.match.test(r.body)) ? r.body : undefined;
    }, { timeoutMs: o.timeoutMs ?? 20_000, everyMs: 200 });
  }

  /** A LoadBalancer Service selecting app=`app` (port 80 → 8080 unless given). */
  service(name: string, o: { app?: string; pool?: string; ips?: string; share?: string; local?: boolean; dual?: boolean; v6?: boolean; port?: number } = {}): string {
    const ann: string[] = [];
    if (o.pool) ann.push(`    metallb.io/address-pool: ${o.pool}`);
    if (o.ips) ann.push(`    metallb.io/loadBalancerIPs: "${o.ips}"`);
    if (o.share) ann.push(`    metallb.io/allow-shared-ip: ${o.share}`);
    const fam = o.dual ? ['  ipFamilyPolicy: RequireDualStack', '  ipFamilies: [IPv4, IPv6]'] : o.v6 ? ['  ipFamilyPolicy: SingleStack', '  ipFamilies: [IPv6]'] : [];
    return [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      `  name: ${name}`,
      '  namespace: default',
      ...(ann.length ? ['  annotations:', ...ann] : []),
      'spec:',
      '  type: LoadBalancer',
      `  externalTrafficPolicy: ${o.local ? 'Local' : 'Cluster'}`,
      ...fam,
      `  selector: {app: ${o.app ?? name}}`,
      `  ports: [{name: http, port: ${o.port ?? 80}, targetPort: 8080, protocol: TCP}]`,
      '',
    ].join('\n');
  }

  /** Pods of app `app` on the given nodes, waited for Ready. */
  async pods(app: string, nodes: string[]): Promise<void> {
    await this.lab.createPods(app, nodes.length, { nodes });
    await waitFor(`${nodes.length} ready ${app} pods`, async () => (await this.lab.readyPods(app)).length >= nodes.length, { timeoutMs: 30_000, everyMs: 100 });
  }

  /** Deletes Services and the pods of apps (best effort, for the end of a scenario). */
  async clean(services: string[], apps: string[] = services): Promise<void> {
    if (services.length) this.lab.kubectl(['delete', 'service', '--ignore-not-found', '--wait=false', ...services]);
    for (const app of apps) for (const p of await this.lab.readyPods(app)) await this.lab.deletePod(p.name).catch(() => undefined);
  }

  /** The node announcing `svc` (ServiceL2Status), once exactly one does. */
  async announcer(svc: string, not?: string, timeoutMs = 30_000): Promise<string> {
    return waitFor(`one node announcing ${svc}${not ? ` other than ${not}` : ''}`, async () => {
      const n = await this.lab.l2Nodes(svc);
      return n.length === 1 && n[0] !== not ? n[0] : undefined;
    }, { timeoutMs, everyMs: 200 });
  }

  /** MACs answering `arping` for `ip` from the client. */
  arpingMacs(ip: string, count = 3): string[] {
    const r = this.lab.exec(this.lab.topo.client.ns, ['arping', '-c', String(count), '-w', String(count + 1), '-I', 'eth0', ip], 15_000);
    return [...new Set([...r.out.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase()))].sort();
  }

  /** The client's neighbour entry MAC for `ip` after making the client resolve it (a curl). */
  resolvedMac(ip: string): string | undefined {
    this.lab.curl(ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`);
    return this.lab.neigh(ip).mac;
  }

  macOf(node: string): string {
    return this.lab.node(node).mac;
  }

  /** Waits until the client's neighbour entry for `ip` is `mac` (moving entries are updated by gratuitous ARP / unsolicited NA). */
  async neighIs(ip: string, mac: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`client's neighbour entry for ${ip} = ${mac}`, () => {
      const m = this.lab.neigh(ip).mac;
      if (m === mac) return true;
      if (!m || this.lab.neigh(ip).state === 'FAILED') this.lab.curl(ip.includes(':') ? `http://[${ip}]/` : `http://${ip}/`, undefined, 1);
      return undefined;
    }, { timeoutMs, everyMs: 100 });
  }
}
