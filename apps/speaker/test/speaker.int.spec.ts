/**
 * The bundled speaker end to end on the shared test lab: apiserver-lite with the real CRDs in a
 * control-plane namespace, one node namespace running `dist/apps/speaker/main.mjs --node-name n1`,
 * and a client namespace on the same segment asking for the Service IP with arping — as a user
 * would see it. Needs root (network namespaces, CAP_NET_RAW); skips with the reason otherwise.
 */
import { arping, Lab, repoRoot, sleep, startControlPlane, tempDir, removeDir, waitFor, type ControlPlane, type JsonLinesProcess } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = repoRoot();
const BINARY = join(ROOT, 'dist', 'apps', 'speaker', 'main.mjs');
const NS = 'metallb-system';
const IP = '198.51.100.200';

const manifests = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}
status: {addresses: [{type: InternalIP, address: 198.51.100.11}]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: pool, namespace: ${NS}}
spec: {addresses: [198.51.100.200-198.51.100.210]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: l2, namespace: ${NS}}
spec: {ipAddressPools: [pool]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.5], nodeName: n1, conditions: {ready: true}}]
ports: [{port: 80, protocol: TCP}]
`;

labDescribe('speaker', ['arping', 'curl'])('speaker binary on the test lab', () => {
  let lab: Lab;
  let cp: ControlPlane;
  let dir: string;
  let n1: string;
  let client: string;
  let speaker: JsonLinesProcess | undefined;

  /** One API call from the client namespace (the API server lives on the lab segment only). */
  const api = (method: string, path: string, body?: unknown): { status: number; json: Record<string, unknown> } => {
    const args = ['curl', '-sS', '-w', '\n%{http_code}', '-X', method, `${cp.server}${path}`];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(body));
    const r = lab.run(client, args);
    const i = r.out.lastIndexOf('\n');
    const text = r.out.slice(0, i);
    return { status: Number(r.out.slice(i + 1)), json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const l2Statuses = () => (api('GET', `/apis/metallb.io/v1beta1/namespaces/${NS}/servicel2statuses`).json['items'] ?? []) as { metadata: { name: string; labels: Record<string, string>; generateName?: string }; status?: Record<string, unknown> }[];

  beforeAll(async () => {
    if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "npx nx run speaker:build" (nx builds it before test-int)`);
    lab = new Lab('spk');
    dir = tempDir('speaker-int');
    writeFileSync(join(dir, 'objects.yaml'), manifests);
    cp = await startControlPlane(lab, { crds: join(ROOT, 'deploy', 'crds'), manifests: [join(dir, 'objects.yaml')] });
    n1 = cp.addNode('n1', '198.51.100.11');
    client = cp.addNode('client', '198.51.100.50');
  });

  afterAll(async () => {
    await speaker?.stop('SIGKILL', 1000);
    await cp?.stop();
    await lab?.cleanup();
    if (dir) removeDir(dir);
  });

  it('answers ARP for the Service IP from n1, keeps ServiceL2Status, and stops answering on SIGTERM', async () => {
    // The Service's IP, as the controller would write it.
    const svc = api('GET', '/api/v1/namespaces/default/services/web');
    expect(svc.status).toBe(200);
    const put = api('PUT', '/api/v1/namespaces/default/services/web/status', { ...svc.json, status: { loadBalancer: { ingress: [{ ip: IP }] } } });
    expect(put.status).toBe(200);

    const mac = /link\/ether ([0-9a-f:]{17})/.exec(lab.run(n1, ['ip', 'link', 'show', 'eth0']).out)![1]!;
    speaker = lab.process(n1, 'speaker', [process.execPath, BINARY, '--node-name', 'n1', '--namespace', NS, '--kubeconfig', cp.kubeconfig, '--port', '7472', '--log-level', 'debug']);
    await speaker.waitLine((l) => (l as { msg?: string }).msg === 'service announced', { timeoutMs: 60_000, what: 'service announced' });

    const answer = await waitFor('an ARP answer from n1', () => {
      const r = arping(lab, client, 'eth0', IP, 1);
      return r.received > 0 ? r : undefined;
    }, { timeoutMs: 20_000, everyMs: 300 });
    expect(answer.macs[0]).toBe(mac);

    const st = await waitFor('ServiceL2Status for n1', () => l2Statuses().find((o) => o.status?.['node'] === 'n1'), { timeoutMs: 20_000, everyMs: 300 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(api("GET", `/apis/metallb.io/v1beta1/namespaces/${NS}/servicel2statuses`))}\n${speaker!.lines.filter((l) => (l as { op?: string }).op === 'status' || (l as { level?: string }).level !== 'debug').map((l) => JSON.stringify(l)).join('\n')}`);
    });
    expect(st.metadata.name).toMatch(/^l2-/);
    expect(st.metadata.labels).toMatchObject({ 'metallb.io/node': 'n1', 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' });
    expect(st.status).toEqual({ node: 'n1', serviceName: 'web', serviceNamespace: 'default' });

    const cs = await waitFor('ConfigurationState speaker-n1', () => {
      const r = api('GET', `/apis/metallb.io/v1beta1/namespaces/${NS}/configurationstates/speaker-n1`);
      return r.status === 200 && (r.json['status'] as { result?: string } | undefined)?.result ? r.json : undefined;
    }, { timeoutMs: 20_000, everyMs: 300 });
    expect((cs['status'] as { result: string }).result).toBe('Valid');

    const metrics = lab.run(n1, ['curl', '-s', 'http://127.0.0.1:7472/metrics']).out;
    expect(metrics).toContain(`metallb_speaker_announced{service="default/web",protocol="layer2",node="n1",ip="${IP}"} 1`);
    expect(metrics).toMatch(new RegExp(`metallb_layer2_requests_received\\{ip="${IP.replace(/\./g, '\\.')}"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`metallb_layer2_gratuitous_sent\\{ip="${IP.replace(/\./g, '\\.')}"\\} [1-9]`));
    expect(metrics).toContain('metallb_ts_speaker_failover_seconds_count 1');

    const events = api('GET', '/api/v1/namespaces/default/events').json['items'] as { reason?: string; message?: string }[];
    expect(events.some((e) => e.reason === 'nodeAssigned' && e.message === 'announcing from node "n1" with protocol "layer2"')).toBe(true);

    // SIGTERM: exit 0, and nobody answers any more.
    speaker.signal('SIGTERM');
    const code = await Promise.race([speaker.exited, sleep(25_000).then(() => 'still running after 25 s')]);
    expect(code).toBe(0);
    speaker = undefined;
    expect(arping(lab, client, 'eth0', IP, 2).received).toBe(0);
  });
});
