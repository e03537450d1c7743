/**
 * Issue 15 §4 with the real command: `npx apiserver-lite --snapshot FILE` is SIGKILLed right
 * after a create answered 201, restarted on the same file, and every acknowledged object must be
 * there — 20 times over, with a burst of concurrent creates cut mid-flight each time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './kubectl-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'apiserver-lite-kill9-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) {
    try {
      if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts `npx apiserver-lite --port 0 --snapshot FILE` in its own process group; resolves with its URL. */
async function start(snapshot: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('npx', ['apiserver-lite', '--port', '0', '--no-controllers', '--snapshot', snapshot, '--kubeconfig-out', join(tmp, 'kc')], {
    detached: true,
    cwd: REPO,
    env: { ...process.env, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await expect.poll(() => out, { timeout: 60_000, interval: 50 }).toMatch(/listening on (http:\S+)|apiserver-lite: /);
  const m = out.match(/listening on (http:\S+)/);
  if (!m) throw new Error(`apiserver-lite did not start: ${out}`);
  return { child, url: m[1]! };
}

/** SIGKILL to the whole group (npx → node), resolved once the child is gone. */
async function kill9(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(-child.pid!, 'SIGKILL');
  await gone;
}

const create = (url: string, name: string) =>
  fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ metadata: { name }, data: { name } }) });

describe('kill -9 right after a 201 loses nothing', () => {
  it('20 crash/restart cycles: every acknowledged create survives', async () => {
    const snapshot = join(tmp, 'state.json');
    const acked = new Map<string, string>();
    const ITERATIONS = 20;
    for (let i = 0; i < ITERATIONS; i++) {
      const { child, url } = await start(snapshot);
      // Everything acknowledged so far is there, with the uid it was created with.
      const list = (await (await fetch(`${url}/api/v1/namespaces/default/configmaps`)).json()) as { items: { metadata: { name: string; uid: string } }[] };
      const have = new Map(list.items.map((o) => [o.metadata.name, o.metadata.uid]));
      for (const [name, uid] of acked) expect(have.get(name), `after restart ${i}: ${name}`).toBe(uid);
      // One create awaited, a burst in flight, and the kill as soon as one of the burst answers 201.
      const first = await create(url, `c${i}-first`);
      expect(first.status).toBe(201);
      acked.set(`c${i}-first`, ((await first.json()) as { metadata: { uid: string } }).metadata.uid);
      const burst = Array.from({ length: 8 }, (_, j) => `c${i}-burst${j}`);
      await new Promise<void>((resolve) => {
        let killed = false;
        for (const name of burst) {
          create(url, name)
            .then(async (r) => {
              if (r.status !== 201) return;
              const body = (await r.json()) as { metadata: { uid: string } };
              acked.set(name, body.metadata.uid);
              if (!killed) {
                killed = true;
                process.kill(-child.pid!, 'SIGKILL');
                resolve();
              }
            })
            .catch(() => {
              /* cut by the kill: not acknowledged */
            });
        }
      });
      await kill9(child).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50)); // let in-flight responses settle before the next start
    }
    const { child, url } = await start(snapshot);
    const list = (await (await fetch(`${url}/api/v1/namespaces/default/configmaps`)).json()) as { items: { metadata: { name: string; uid: string } }[] };
    const have = new Map(list.items.map((o) => [o.metadata.name, o.metadata.uid]));
    for (const [name, uid] of acked) expect(have.get(name), name).toBe(uid);
    expect(acked.size).toBeGreaterThanOrEqual(2 * ITERATIONS);
    await kill9(child);
  }, 600_000);
});
