/**
 * kubectl against apiserver-lite: the real deploy/crds and deploy/examples, get -o yaml, get -w,
 * patch, delete, wait, server-side apply, and the server's rejections of invalid objects
 * (deploy/examples/invalid, each with its expected message).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../src/index.js';
import { findKubectl, kubectlRunner, REPO } from './kubectl-helpers.js';

const kubectlBin = findKubectl();
const haveDeploy = existsSync(join(REPO, 'deploy/crds')) && existsSync(join(REPO, 'deploy/examples'));
if (!kubectlBin) console.warn('SKIP kubectl integration tests: no kubectl at /usr/bin/kubectl or /usr/local/bin/kubectl');
if (!haveDeploy) console.warn('SKIP kubectl integration tests: deploy/crds or deploy/examples missing');

describe.skipIf(!kubectlBin || !haveDeploy)('kubectl against apiserver-lite', () => {
  let api: RunningApiServer;
  let k: ReturnType<typeof kubectlRunner>;
  beforeAll(async () => {
    api = await startApiServer({ bookmarkIntervalMs: 1000 });
    k = kubectlRunner(kubectlBin!, api.kubeconfigPath);
  });
  afterAll(async () => {
    await api?.stop();
  });

  const ok = async (args: string[], input?: string) => {
    const r = await k(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  it('applies deploy/crds/ and waits for them to be Established', async () => {
    // No --validate=false: the server's OpenAPI v3 stubs tell kubectl to validate server-side.
    const out = await ok(['apply', '-f', 'deploy/crds/']);
    const crdFiles = readdirSync(join(REPO, 'deploy/crds')).filter((f) => f.endsWith('.yaml'));
    expect(out.match(/customresourcedefinition\.apiextensions\.k8s\.io\/\S+ created/g)).toHaveLength(crdFiles.length);
    expect(await ok(['wait', '--for', 'condition=Established', 'crd', '--all', '--timeout', '20s'])).toMatch(/condition met/);
    const names = await ok(['api-resources', '--api-group', 'metallb.io', '-o', 'name']);
    expect(names).toMatch(/ipaddresspools\.metallb\.io/);
  });

  it('applies deploy/examples/ and the samples, then reads them back with defaults', async () => {
    await ok(['create', 'namespace', 'metallb-system']);
    const out = await ok(['apply', '-f', 'deploy/examples/']);
    expect(out).toMatch(/ipaddresspool\.metallb\.io\/first-pool created/);
    expect(out).toMatch(/l2advertisement\.metallb\.io\/example created/);
    await ok(['apply', '--validate=false', '-f', 'deploy/examples/samples/']);
    expect(api.server.requests.some((r) => r.query.fieldValidation === 'Strict')).toBe(true);
    const yaml = await ok(['get', 'ipaddresspool', 'first-pool', '-n', 'metallb-system', '-o', 'yaml']);
    const pool = parseAllDocuments(yaml)[0]!.toJS();
    expect(pool.spec.addresses).toEqual(['10.0.0.101-10.0.0.150']);
    expect(pool.spec.autoAssign).toBe(true); // a schema default, filled in by the server
    expect(pool.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pool.metadata.generation).toBe(1);
    // Short names and categories from the CRDs.
    expect(await ok(['get', 'ipp', '-n', 'metallb-system', '-o', 'name'])).toMatch(/ipaddresspool\.metallb\.io\/first-pool/);
    expect(await ok(['get', 'metallb', '-n', 'metallb-system', '-o', 'name'])).toMatch(/l2advertisement\.metallb\.io\/example/);
    // A second apply changes nothing.
    expect(await ok(['apply', '--validate=false', '-f', 'deploy/examples/ipaddresspool.yaml'])).toMatch(/first-pool unchanged/);
  });

  it('rejects every object of deploy/examples/invalid with the expected message', async () => {
    const dir = join(REPO, 'deploy/examples/invalid');
    let checked = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
        const o = doc.toJS();
        if (!o?.kind) continue;
        const want: string = o.metadata.annotations['metallb-ts.io/expected-error'];
        let r;
        if (want.startsWith('unknown field')) {
          // Unknown fields are an error under kubectl's default (strict, server-side) validation.
          r = await k(['apply', '-f', '-'], JSON.stringify(o));
          const pruned = await k(['apply', '--validate=false', '--dry-run=server', '-f', '-'], JSON.stringify(o));
          expect.soft(pruned.code, 'without validation unknown fields are pruned').toBe(0);
        } else if (want.startsWith('status.')) {
          // Status is only written through the status subresource: create, then patch status.
          const { status, ...rest } = o;
          await ok(['apply', '--validate=false', '-f', '-'], JSON.stringify(rest));
          r = await k(['patch', o.kind.toLowerCase(), o.metadata.name, '-n', o.metadata.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
        } else {
          r = await k(['apply', '--validate=false', '-f', '-'], JSON.stringify(o));
        }
        expect.soft(r.code, `${f} ${o.metadata.name} must be rejected`).not.toBe(0);
        expect.soft(r.stderr, `${f} ${o.metadata.name}`).toContain(want);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('get -w streams changes', async () => {
    const child = spawn(kubectlBin!, ['--kubeconfig', api.kubeconfigPath, 'get', 'ipaddresspools', '-n', 'metallb-system', '-w', '-o', 'name'], { cwd: REPO, env: { ...process.env, KUBECONFIG: api.kubeconfigPath } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/first-pool/);
      await ok(['apply', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'watched', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/28'] } }));
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/ipaddresspool\.metallb\.io\/watched/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('patch, status patch, delete and wait --for=delete', async () => {
    expect(await ok(['patch', 'ipaddresspool', 'watched', '-n', 'metallb-system', '--type=merge', '-p', '{"spec":{"autoAssign":false}}'])).toMatch(/patched/);
    const gen = await ok(['get', 'ipaddresspool', 'watched', '-n', 'metallb-system', '-o', 'jsonpath={.metadata.generation} {.spec.autoAssign}']);
    expect(gen).toBe('2 false');
    const bad = await k(['patch', 'ipaddresspool', 'watched', '-n', 'metallb-system', '--type=merge', '-p', '{"spec":{"addresses":["not-an-address"]}}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.addresses\[0\]: Invalid value: "string"/);
    await ok(['patch', 'ipaddresspool', 'watched', '-n', 'metallb-system', '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers","value":["test.metallb-ts.dev/hold"]}]']);
    await ok(['delete', 'ipaddresspool', 'watched', '-n', 'metallb-system', '--wait=false']);
    expect(await ok(['get', 'ipaddresspool', 'watched', '-n', 'metallb-system', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).not.toBe('');
    const waiter = k(['wait', '--for=delete', 'ipaddresspool/watched', '-n', 'metallb-system', '--timeout', '20s']);
    await ok(['patch', 'ipaddresspool', 'watched', '-n', 'metallb-system', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const w = await waiter;
    expect(w.code).toBe(0);
    expect((await k(['get', 'ipaddresspool', 'watched', '-n', 'metallb-system'])).stderr).toMatch(/NotFound|not found/);
  });

  it('server-side apply: managed fields, conflicts between managers, --force-conflicts', async () => {
    const pool = (autoAssign: boolean) => JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'ssa', namespace: 'metallb-system' }, spec: { addresses: ['203.0.113.0/28'], autoAssign } });
    expect(await ok(['apply', '--server-side', '--validate=false', '-f', '-'], pool(true))).toMatch(/serverside-applied/);
    const mf = await ok(['get', 'ipaddresspool', 'ssa', '-n', 'metallb-system', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
    expect(mf).toContain('kubectl');
    const conflict = await k(['apply', '--server-side', '--validate=false', '--field-manager', 'other', '-f', '-'], pool(false));
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict with "kubectl"/);
    expect(await ok(['apply', '--server-side', '--validate=false', '--field-manager', 'other', '--force-conflicts', '-f', '-'], pool(false))).toMatch(/serverside-applied/);
    expect(await ok(['get', 'ipaddresspool', 'ssa', '-n', 'metallb-system', '-o', 'jsonpath={.spec.autoAssign}'])).toBe('false');
  });

  it('Services: short names, defaults, strategic merge patch, and EndpointSlices from ready Pods', async () => {
    await ok(['apply', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }));
    expect(await ok(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].protocol} {.spec.ports[0].nodePort}'])).toMatch(/^10\.\d+\.\d+\.\d+ TCP 3\d{4}$/);
    // kubectl apply of a built-in kind re-applies with a strategic merge patch (ports merged by port).
    await ok(['apply', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 9090 }] } }));
    expect(await ok(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].targetPort}'])).toBe('9090');
    await ok(['apply', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'x' }] } }));
    await ok(['patch', 'pod', 'web-1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: '10.244.1.7', conditions: [{ type: 'Ready', status: 'True' }] } })]);
    expect(await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[0].endpoints[0].addresses[0]} {.items[0].endpoints[0].nodeName} {.items[0].ports[0].port}'])).toBe('10.244.1.7 node-a 9090');
  });

  it('prints tables like a real server (CRD printer columns, Service columns)', async () => {
    const pools = await ok(['get', 'ipaddresspools', '-n', 'metallb-system']);
    expect(pools.split('\n')[0]).toMatch(/^NAME\s+AUTO ASSIGN\s+AVOID BUGGY IPS\s+ADDRESSES\s+ASSIGNED IPV4/);
    expect(pools).toMatch(/first-pool\s+true\s+false\s+\["10\.0\.0\.101-10\.0\.0\.150"\]/);
    await ok(['patch', 'svc', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.1"}]}}}']);
    const svc = await ok(['get', 'svc', 'web']);
    expect(svc).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
    expect(svc).toMatch(/web\s+LoadBalancer\s+10\.\d+\.\d+\.\d+\s+198\.51\.100\.1\s+80:3\d{4}\/TCP/);
    expect(await ok(['get', 'svc', '-A'])).toMatch(/^NAMESPACE\s+NAME\s+TYPE/);
    // get -w prints the header once, then one row per change.
    const child = spawn(kubectlBin!, ['--kubeconfig', api.kubeconfigPath, 'get', 'svc', 'web', '-w'], { cwd: REPO, env: { ...process.env, KUBECONFIG: api.kubeconfigPath } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/198\.51\.100\.1/);
      await ok(['patch', 'svc', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.2"}]}}}']);
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/198\.51\.100\.2/);
      expect(out.match(/^NAME\s/gm)).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('answers like a real server for unknown things', async () => {
    const r = await k(['get', 'frobnicators']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the server doesn't have a resource type "frobnicators"/);
    const nf = await k(['get', 'ipaddresspool', 'nope', '-n', 'metallb-system']);
    expect(nf.stderr).toMatch(/ipaddresspools\.metallb\.io "nope" not found/);
  });
});
