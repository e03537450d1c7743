/**
 * Integration harness of the CLI: drives the BUILT CLI (`dist/apps/cli/main.mjs`, built by the
 * `build` target that `test-int` depends on) as a user would. The real peers, namespaces, the Go
 * memberlist peer and the waits come from `@metallb-ts/test-lab`.
 * Address plan (loopback only): daemons 127.0.40.1–.9, CLI speakers/agents 127.0.40.10–.250;
 * network namespaces `tlcli-<pid>-…`. Everything started is stopped by its own handle.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonLinesProcess, spawnTracked, waitFor, type JsonLine } from '@metallb-ts/test-lab';

export { isRoot, randomPort, sleep, waitFor } from '@metallb-ts/test-lab';
export { labDescribe } from '@metallb-ts/test-lab/vitest';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO = join(here, '../../../..');
/** The built CLI bundle. */
export const CLI = join(REPO, 'dist/apps/cli/main.mjs');

/** Runs the CLI to completion (for short commands and bad arguments). */
export function cliSync(args: string[], opts: { netns?: string; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** One JSON event line of the CLI. */
export interface CliEvent extends JsonLine {
  ts: string;
  event: string;
}

/** A running long-lived CLI process (or any process printing the same JSON lines) with its parsed stdout events. */
export class CliProc extends JsonLinesProcess<CliEvent> {
  constructor(args: string[], opts: { netns?: string; spawn?: () => ChildProcess; name?: string } = {}) {
    super(opts.name ?? `metallb-ts ${args.slice(0, 2).join(' ')}`, opts.spawn ? opts.spawn() : spawnTracked([process.execPath, CLI, ...args], { netns: opts.netns }));
  }

  /** The events so far (same as `lines`). */
  get events(): CliEvent[] {
    return this.lines;
  }

  /** Waits for an event matching `pred` (already seen ones count); fails as soon as the CLI exits without it. */
  waitEvent(what: string, pred: (e: CliEvent) => boolean, timeoutMs = 15_000): Promise<CliEvent> {
    return waitFor(`${what}; events so far: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.stderr.slice(-600)}`, () => {
      const hit = this.events.find(pred);
      if (!hit && !this.running) throw new Error(`CLI exited (${this.child.exitCode}): ${this.stderr}`);
      return hit;
    }, { timeoutMs, everyMs: 25 });
  }
}

/** The hashicorp/memberlist Go peer (binary from test-lab's `buildGoMemberlistPeer`); same JSON-lines shape as the CLI. */
export class GoPeer extends CliProc {
  constructor(bin: string, name: string, args: string[]) {
    super([], { name: `go peer ${name}`, spawn: () => spawnTracked([bin, '-name', name, ...args]) });
  }
}
