/** Helpers for integration tests that drive kubectl against apiserver-lite. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root. */
export const REPO = new URL('../../../', import.meta.url).pathname;

/** A kubectl binary, or undefined (tests then skip with a message). */
export function findKubectl(): string | undefined {
  for (const p of ['/usr/bin/kubectl', '/usr/local/bin/kubectl']) {
    const r = spawnSync(p, ['version', '--client=true', '-o', 'json'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return undefined;
}

/** Result of one kubectl run. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with a private kubeconfig and discovery cache. */
export function kubectlRunner(bin: string, kubeconfig: string) {
  const cache = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
  return (args: string[], input?: string): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(bin, ['--kubeconfig', kubeconfig, '--cache-dir', cache, '--request-timeout', '20s', ...args], { cwd: REPO, timeout: 60_000, env: { ...process.env, KUBECONFIG: kubeconfig, HOME: cache } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    });
}
