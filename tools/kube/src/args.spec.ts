import { describe, expect, it } from 'vitest';
import { ADMISSION_PLUGINS, CONTROLLERS, apiserverArgs, controllerManagerArgs, etcdArgs, files, hostPort, isLoopback, type ControlPlaneLayout } from './args.js';
import { renderKubeconfig } from './kubeconfig.js';
import { apiserverSans, firstServiceIp, subjectString } from './pki.js';

const layout: ControlPlaneLayout = { dir: '/tmp/k', address: '127.0.0.1', apiserverPort: 40001, etcdClientPort: 40002, etcdPeerPort: 40003, serviceCidr: '10.96.0.0/16', etcdUnsafeNoFsync: false };
const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('etcd arguments', () => {
  it('one member on the layout address, plain HTTP, data in DIR/etcd', () => {
    const a = etcdArgs(layout);
    expect(flag(a, 'listen-client-urls')).toBe('http://127.0.0.1:40002');
    expect(flag(a, 'initial-cluster')).toBe('kube-lab=http://127.0.0.1:40003');
    expect(flag(a, 'data-dir')).toBe('/tmp/k/etcd');
    expect(a).not.toContain('--unsafe-no-fsync');
    expect(etcdArgs({ ...layout, etcdUnsafeNoFsync: true })).toContain('--unsafe-no-fsync');
  });
});

describe('kube-apiserver arguments', () => {
  const a = apiserverArgs(layout);
  it('binds to the layout address and port, backed by that etcd', () => {
    expect(flag(a, 'bind-address')).toBe('127.0.0.1');
    expect(flag(a, 'secure-port')).toBe('40001');
    expect(flag(a, 'etcd-servers')).toBe('http://127.0.0.1:40002');
  });
  it('enforces Node,RBAC with the usual admission plugins', () => {
    expect(flag(a, 'authorization-mode')).toBe('Node,RBAC');
    expect(flag(a, 'enable-admission-plugins')!.split(',')).toEqual([...ADMISSION_PLUGINS]);
    expect(ADMISSION_PLUGINS).toContain('ServiceAccount');
    expect(ADMISSION_PLUGINS).toContain('NamespaceLifecycle');
  });
  it('signs and verifies service-account tokens with the keys in DIR/pki', () => {
    expect(flag(a, 'service-account-signing-key-file')).toBe(files('/tmp/k').saKey);
    expect(flag(a, 'service-account-key-file')).toBe(files('/tmp/k').saPub);
    expect(flag(a, 'client-ca-file')).toBe('/tmp/k/pki/ca.crt');
  });
  it('runs no endpoint reconciler on loopback (not a valid endpoint address), the lease one elsewhere', () => {
    expect(flag(a, 'endpoint-reconciler-type')).toBe('none');
    expect(flag(apiserverArgs({ ...layout, address: '198.51.100.1' }), 'endpoint-reconciler-type')).toBe('lease');
  });
});

describe('kube-controller-manager arguments', () => {
  const a = controllerManagerArgs(layout);
  it('runs the EndpointSlice, garbage-collector, namespace and service-account controllers, nothing node-related', () => {
    const ctl = flag(a, 'controllers')!.split(',');
    expect(ctl).toEqual([...CONTROLLERS]);
    for (const c of ['endpointslice', 'garbage-collector', 'namespace', 'serviceaccount', 'serviceaccount-token']) expect(ctl).toContain(`${c}-controller`);
    expect(ctl.some((c) => /node|daemonset|replicaset|deployment|pod-garbage|\*/.test(c))).toBe(false);
  });
  it('uses its own kubeconfig and per-controller service-account credentials, serves nothing', () => {
    expect(flag(a, 'kubeconfig')).toBe('/tmp/k/controller-manager.kubeconfig');
    expect(flag(a, 'use-service-account-credentials')).toBe('true');
    expect(flag(a, 'secure-port')).toBe('0');
  });
});

describe('addresses and certificates', () => {
  it('formats host:port for IPv4 and IPv6', () => {
    expect(hostPort('127.0.0.1', 1)).toBe('127.0.0.1:1');
    expect(hostPort('::1', 1)).toBe('[::1]:1');
    expect(isLoopback('127.0.0.2')).toBe(true);
    expect(isLoopback('198.51.100.1')).toBe(false);
  });
  it('the kubernetes Service IP is the first of the CIDR', () => {
    expect(firstServiceIp('10.96.0.0/16')).toBe('10.96.0.1');
    expect(firstServiceIp('10.0.255.255/16')).toBe('10.1.0.0');
    expect(() => firstServiceIp('fd00::/108')).toThrow(/IPv4 CIDR/);
  });
  it('the serving certificate names the address, loopback, the Service IP and in-cluster names', () => {
    const s = apiserverSans('198.51.100.1', '10.96.0.1');
    expect(s).toEqual(expect.arrayContaining(['IP:198.51.100.1', 'IP:127.0.0.1', 'IP:10.96.0.1', 'DNS:kubernetes.default.svc']));
    expect(apiserverSans('127.0.0.1', '10.96.0.1').filter((x) => x === 'IP:127.0.0.1')).toHaveLength(1);
  });
  it('subjects put organizations (groups) before the common name, escaped', () => {
    expect(subjectString({ commonName: 'admin', organizations: ['system:masters'] })).toBe('/O=system:masters/CN=admin');
    expect(subjectString({ commonName: 'a/b' })).toBe('/CN=a\\/b');
  });
});

describe('kubeconfig', () => {
  it('a client-certificate kubeconfig', () => {
    const k = JSON.parse(renderKubeconfig({ server: 'https://127.0.0.1:1', caFile: '/ca', user: { kind: 'cert', certFile: '/c', keyFile: '/k' } }));
    expect(k['current-context']).toBe('kube-lab');
    expect(k.clusters[0].cluster).toEqual({ server: 'https://127.0.0.1:1', 'certificate-authority': '/ca' });
    expect(k.users[0].user).toEqual({ 'client-certificate': '/c', 'client-key': '/k' });
  });
  it('a token kubeconfig with a default namespace', () => {
    const k = JSON.parse(renderKubeconfig({ server: 's', caFile: '/ca', user: { kind: 'token', token: 't' }, name: 'ns:sa', namespace: 'ns' }));
    expect(k.users[0]).toEqual({ name: 'ns:sa', user: { token: 't' } });
    expect(k.contexts[0].context).toEqual({ cluster: 'kube-lab', user: 'ns:sa', namespace: 'ns' });
  });
});
