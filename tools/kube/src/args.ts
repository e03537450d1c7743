/**
 * Pure command lines of the three control-plane processes. Everything a process needs is in
 * {@link ControlPlaneLayout} (addresses, ports, file paths), so these are plain functions of it.
 */
import { join } from 'node:path';

/**
 * The controllers kube-controller-manager runs (their names as of Kubernetes 1.37's `--controllers`):
 * no scheduler or kubelet exists, so nothing node- or workload-related.
 */
export const CONTROLLERS = [
  'endpointslice-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  // Aggregates the admin/edit/view ClusterRoles that RoleBindings in deploy/ may refer to.
  'clusterrole-aggregation-controller',
  // The kube-root-ca.crt ConfigMap every namespace has on a real cluster.
  'root-ca-certificate-publisher-controller',
  // Finalizers and status of ServiceCIDR objects (ClusterIP allocation ranges).
  'service-cidr-controller',
] as const;

/** The admission plugins kube-apiserver enables (kubeadm's choice plus the defaults spelled out). */
export const ADMISSION_PLUGINS = [
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'DefaultStorageClass',
  'DefaultTolerationSeconds',
  'NodeRestriction',
  'Priority',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
] as const;

/** Where everything of one control plane lives and listens. */
export interface ControlPlaneLayout {
  /** The state directory (`--dir`). */
  readonly dir: string;
  /** Address every process binds to (127.0.0.1, or the lab namespace's address). */
  readonly address: string;
  readonly apiserverPort: number;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  /** The Service ClusterIP range (cluster-internal: never configured on any interface). */
  readonly serviceCidr: string;
  /** Drop etcd's fsync (faster, loses data on a machine crash: a lab only). */
  readonly etcdUnsafeNoFsync: boolean;
}

/** Files under DIR. */
export function files(dir: string) {
  const pki = join(dir, 'pki');
  return {
    pki,
    caCert: join(pki, 'ca.crt'),
    caKey: join(pki, 'ca.key'),
    apiserverCert: join(pki, 'apiserver.crt'),
    apiserverKey: join(pki, 'apiserver.key'),
    adminCert: join(pki, 'admin.crt'),
    adminKey: join(pki, 'admin.key'),
    controllerManagerCert: join(pki, 'controller-manager.crt'),
    controllerManagerKey: join(pki, 'controller-manager.key'),
    saKey: join(pki, 'sa.key'),
    saPub: join(pki, 'sa.pub'),
    etcdData: join(dir, 'etcd'),
    adminKubeconfig: join(dir, 'admin.kubeconfig'),
    controllerManagerKubeconfig: join(dir, 'controller-manager.kubeconfig'),
    pids: join(dir, 'pids.json'),
    state: join(dir, 'state.json'),
    logs: join(dir, 'logs'),
    serviceAccounts: join(dir, 'serviceaccounts'),
  } as const;
}

/** The service account token issuer (also the default API audience). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** True for an IPv4 loopback address (or ::1). */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}

/** The URL of an address and port (IPv6 in brackets). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** etcd's arguments (after the binary): one member, plain HTTP on the layout's address. */
export function etcdArgs(l: ControlPlaneLayout): string[] {
  const client = `http://${hostPort(l.address, l.etcdClientPort)}`;
  const peer = `http://${hostPort(l.address, l.etcdPeerPort)}`;
  const args = [
    '--name=kube-lab',
    `--data-dir=${files(l.dir).etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=kube-lab=${peer}`,
    '--initial-cluster-state=new',
    '--log-level=warn',
  ];
  if (l.etcdUnsafeNoFsync) args.push('--unsafe-no-fsync');
  return args;
}

/** kube-apiserver's arguments (after the binary). */
export function apiserverArgs(l: ControlPlaneLayout): string[] {
  const f = files(l.dir);
  return [
    `--etcd-servers=http://${hostPort(l.address, l.etcdClientPort)}`,
    `--bind-address=${l.address}`,
    `--advertise-address=${l.address}`,
    `--secure-port=${l.apiserverPort}`,
    `--tls-cert-file=${f.apiserverCert}`,
    `--tls-private-key-file=${f.apiserverKey}`,
    `--client-ca-file=${f.caCert}`,
    `--service-account-key-file=${f.saPub}`,
    `--service-account-signing-key-file=${f.saKey}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-cluster-ip-range=${l.serviceCidr}`,
    '--authorization-mode=Node,RBAC',
    `--enable-admission-plugins=${ADMISSION_PLUGINS.join(',')}`,
    // A loopback address may not be an Endpoints address, so the `kubernetes` Service gets none there.
    `--endpoint-reconciler-type=${isLoopback(l.address) ? 'none' : 'lease'}`,
    '--allow-privileged=true',
    '--profiling=false',
    '--v=0',
  ];
}

/** kube-controller-manager's arguments (after the binary). */
export function controllerManagerArgs(l: ControlPlaneLayout): string[] {
  const f = files(l.dir);
  return [
    `--kubeconfig=${f.controllerManagerKubeconfig}`,
    `--controllers=${CONTROLLERS.join(',')}`,
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${f.saKey}`,
    `--root-ca-file=${f.caCert}`,
    `--service-cluster-ip-range=${l.serviceCidr}`,
    '--leader-elect=false',
    // No serving endpoint: nothing scrapes it, and it would need a third port.
    '--secure-port=0',
    '--profiling=false',
    '--v=0',
  ];
}
