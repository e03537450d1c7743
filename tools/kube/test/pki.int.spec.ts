/**
 * Regression (issue 16): a dual-stack `--service-cidr` (`IPv4,IPv6`, comma-separated) names the
 * first IP of its primary CIDR in the apiserver certificate. Before the fix the whole value was
 * parsed as one CIDR and `ensurePki` (so `kube-lab up --service-cidr A,B`) failed. Runs the real
 * `openssl` issuing into a temporary directory and reads the certificate back.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { files } from '../src/args.js';
import { ensurePki, firstServiceIp } from '../src/pki.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('dual-stack service CIDR', () => {
  it('firstServiceIp takes the first CIDR of a comma-separated list', () => {
    expect(firstServiceIp('10.96.0.0/16,fd00:10:96::/112')).toBe('10.96.0.1');
    expect(firstServiceIp('10.100.0.0/16, fd00:10:96::/112')).toBe('10.100.0.1');
    expect(firstServiceIp('10.96.0.0/16')).toBe('10.96.0.1');
  });

  it('an IPv6 primary CIDR is refused with a message saying what to write', () => {
    expect(() => firstServiceIp('fd00:10:96::/112,10.96.0.0/16')).toThrow(/IPv4 CIDR first/);
    expect(() => firstServiceIp('')).toThrow(/not an IPv4 CIDR/);
  });

  it('the apiserver certificate of a dual-stack control plane names the primary first Service IP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-pki-'));
    dirs.push(dir);
    await ensurePki(dir, { address: '127.0.0.1', serviceCidr: '10.97.0.0/16,fd00:10:97::/112' });
    const cert = new X509Certificate(readFileSync(join(files(dir).pki, 'apiserver.crt')));
    const sans = (cert.subjectAltName ?? '').split(', ');
    expect(sans).toContain('IP Address:10.97.0.1');
    expect(sans).toContain('IP Address:127.0.0.1');
    expect(sans.some((s) => s.includes('fd00'))).toBe(false);
  }, 60_000);
});
