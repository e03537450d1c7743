/**
 * The layer-2 part of the lab used by libs/arp-responder's integration tests and benchmark: the
 * responder and raw-socket client fixtures (bundled from libs/arp-responder/test/fixtures with
 * the addon beside them), and the arping / ndisc6 probes.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry } from './bundle.js';
import { repoRoot } from './exec.js';
import { Lab } from './netns.js';
import { JsonLinesProcess, runChild, type JsonLine } from './process.js';

/** The client fixture's result line. */
export interface ClientResult {
  sent: number;
  received: number;
  rttsUs: number[];
  macs: string[];
  vids: number[];
  elapsedMs: number;
  cpu: { user: number; system: number };
}

/** A responder fixture process running in a namespace (JSON commands on stdin, events on stdout). */
export class ResponderProc extends JsonLinesProcess<JsonLine> {
  /** Events so far (same as `lines`). */
  get events(): JsonLine[] {
    return this.lines;
  }

  /** Resolves with the first event (from index `from` on) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (e: JsonLine) => boolean, timeoutMs = 5000, from = 0): Promise<JsonLine> {
    return this.waitLine(pred, { timeoutMs, from, what: 'a matching responder event' });
  }

  /** Sends a command and waits for its ack (or the stats event). */
  async command(cmd: Record<string, unknown>): Promise<JsonLine> {
    const from = this.lines.length;
    this.send(JSON.stringify(cmd));
    const want = cmd['cmd'] === 'stats' ? 'stats' : 'ack';
    return this.waitFor((e) => e.event === want, 5000, from);
  }

  /** Stops the process (SIGTERM, then SIGKILL after 2 s) and waits for its exit. */
  override async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<number | null> {
    return super.stop(sig, graceMs);
  }
}

/** A {@link Lab} that also runs the arp-responder fixtures. */
export class ArpLab extends Lab {
  /** Starts the bundled responder fixture in `ns`; `wrap` prefixes the command (e.g. setpriv). */
  responder(ns: string, script: string, cfg: object, wrap: string[] = []): ResponderProc {
    return new ResponderProc('arp responder', this.spawn(ns, [...wrap, process.execPath, script, JSON.stringify(cfg)]));
  }

  /** Runs the bundled raw-socket client fixture in `ns` and returns its result line. */
  async client(ns: string, script: string, cfg: object, timeoutMs = 60_000): Promise<ClientResult> {
    const r = await runChild([process.execPath, script, JSON.stringify(cfg)], { netns: ns, timeoutMs });
    const line = r.stdout.split('\n').find((l) => l.includes('"event":"result"'));
    if (!line) throw new Error(`client fixture gave no result: ${r.stdout} ${r.stderr}`);
    return JSON.parse(line) as ClientResult;
  }
}

/** arping -c N: replies counted and the MACs they came from. */
export function arping(lab: Lab, ns: string, ifName: string, target: string, count = 3): { received: number; macs: string[]; ms: number[]; out: string } {
  const r = lab.run(ns, ['arping', '-c', String(count), '-w', String(count + 2), '-I', ifName, target]);
  const macs = [...r.out.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]\s+([\d.]+)ms/g)];
  const rec = /Received (\d+) response/.exec(r.out);
  return { received: rec ? Number(rec[1]) : 0, macs: macs.map((m) => m[1]!.toLowerCase()), ms: macs.map((m) => Number(m[2])), out: r.out };
}

/** ndisc6 once: the target link-layer address, if any. */
export function ndisc6(lab: Lab, ns: string, ifName: string, target: string): { mac?: string; out: string } {
  const r = lab.run(ns, ['ndisc6', '-1', '-r', '2', '-w', '500', target, ifName]);
  const m = /Target link-layer address: ([0-9A-Fa-f:]{17})/.exec(r.out);
  return m ? { mac: m[1]!.toLowerCase(), out: r.out } : { out: r.out };
}

/**
 * Bundles libs/arp-responder/test/fixtures/{responder,client}-main.ts into .mjs files in a temp
 * dir and copies the addon beside them, as the CLI bundle ships it (so loading "beside the
 * bundle" is exercised). Builds the addon first when a checkout lacks it.
 */
export async function bundleArpFixtures(pkgRoot = join(repoRoot(), 'libs', 'arp-responder')): Promise<{ dir: string; script: string; client: string }> {
  const addon = join(pkgRoot, 'build', 'Release', 'arp_responder.node');
  if (!existsSync(addon)) {
    // a checkout whose node_modules predates this package: build the addon (≈ 3 s) like `npm ci` would
    const r = spawnSync('npm', ['run', 'build:native'], { cwd: pkgRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the arp-responder addon failed: ${r.stdout}${r.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mtsarp-'));
  const script = join(dir, 'responder.mjs');
  const client = join(dir, 'client.mjs');
  try {
    await bundleEntry(join(pkgRoot, 'test', 'fixtures', 'responder-main.ts'), script);
    await bundleEntry(join(pkgRoot, 'test', 'fixtures', 'client-main.ts'), client);
    copyFileSync(addon, join(dir, 'arp_responder.node'));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, script, client };
}
