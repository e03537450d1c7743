/**
 * The control plane's certificates and keys, generated locally with the `openssl` CLI (Node can
 * parse X.509 but not issue it): a CA, the apiserver's serving certificate, client certificates
 * for the admin (group `system:masters`) and kube-controller-manager (`system:kube-controller-manager`),
 * and the service-account signing key pair. ECDSA P-256 throughout (fast to generate). Existing
 * files are kept, so a restarted control plane keeps its identity and its issued tokens.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { files } from './args.js';

/** The subject of a client or serving certificate. */
export interface Subject {
  readonly commonName: string;
  readonly organizations?: readonly string[];
}

/** `-subj` of openssl for a subject: `/O=a/O=b/CN=c` (values escaped). */
export function subjectString(s: Subject): string {
  const esc = (v: string) => v.replace(/[/\\]/g, (c) => `\\${c}`);
  return [...(s.organizations ?? []).map((o) => `/O=${esc(o)}`), `/CN=${esc(s.commonName)}`].join('');
}

/** The apiserver certificate's subjectAltNames: its address, loopback, the first Service IP, and the in-cluster names. */
export function apiserverSans(address: string, firstServiceIp: string): string[] {
  const ips = [...new Set([address, '127.0.0.1', firstServiceIp])];
  const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  return [...ips.map((ip) => `IP:${ip}`), ...dns.map((d) => `DNS:${d}`)];
}

/**
 * The `kubernetes` Service's ClusterIP: the address after the first CIDR of `--service-cidr`. A
 * dual-stack value (`10.96.0.0/16,fd00:10:96::/112`, comma-separated) is served from its first
 * (primary) CIDR, as kube-apiserver does; that one must be IPv4.
 */
export function firstServiceIp(cidr: string): string {
  const primary = cidr.split(',')[0]!.trim();
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(primary);
  if (!m) throw new Error(`service CIDR "${cidr}" is not an IPv4 CIDR like 10.96.0.0/16 (for dual-stack: the IPv4 CIDR first, e.g. 10.96.0.0/16,fd00:10:96::/112)`);
  const n = (((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0) + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 60_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function issue(pki: string, name: string, subject: Subject, ext: string[]): Promise<void> {
  const crt = join(pki, `${name}.crt`);
  if (existsSync(crt)) return;
  const key = join(pki, `${name}.key`);
  const csr = join(pki, `${name}.csr`);
  const extFile = join(pki, `${name}.ext`);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  await openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', subjectString(subject)], pki);
  await openssl(['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', extFile, '-out', `${crt}.tmp`], pki);
  // The .crt appears last (rename), so "crt exists" means "key and crt are complete".
  renameSync(`${crt}.tmp`, crt);
  rmSync(csr, { force: true });
  rmSync(extFile, { force: true });
}

/** Options of {@link ensurePki}. */
export interface PkiOptions {
  /** The apiserver's address (a SAN of its certificate). */
  address: string;
  /** The Service CIDR (its first IP is a SAN). */
  serviceCidr: string;
}

/** Creates whatever of DIR/pki is missing. */
export async function ensurePki(dir: string, o: PkiOptions): Promise<void> {
  const f = files(dir);
  mkdirSync(f.pki, { recursive: true, mode: 0o700 });
  if (!existsSync(f.caCert)) {
    await openssl(['req', '-x509', ...EC, '-keyout', f.caKey, '-out', `${f.caCert}.tmp`, '-days', '3650', '-sha256', '-subj', '/CN=metallb-ts-kube-lab-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], f.pki);
    renameSync(`${f.caCert}.tmp`, f.caCert);
  }
  const client = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'];
  await issue(f.pki, 'apiserver', { commonName: 'kube-apiserver' }, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${apiserverSans(o.address, firstServiceIp(o.serviceCidr)).join(',')}`,
  ]);
  await issue(f.pki, 'admin', { commonName: 'kube-lab-admin', organizations: ['system:masters'] }, client);
  await issue(f.pki, 'controller-manager', { commonName: 'system:kube-controller-manager' }, client);
  if (!existsSync(f.saPub)) {
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', f.saKey], f.pki);
    await openssl(['pkey', '-in', f.saKey, '-pubout', '-out', `${f.saPub}.tmp`], f.pki);
    renameSync(`${f.saPub}.tmp`, f.saPub);
  }
}
