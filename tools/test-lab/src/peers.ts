/**
 * Memberlist peers as child processes: the Go hashicorp/memberlist peer (binary from
 * {@link buildGoMemberlistPeer}) and any JSON-lines node program (e.g. libs/memberlist's agent
 * bundle). Both print the same line shape (`event`, `node`, `unix_ms`…).
 */
import { join } from 'node:path';
import { bundleEntry } from './bundle.js';
import { isRoot, repoRoot } from './exec.js';
import { buildGoMemberlistPeer, goSkipReason } from './go.js';
import { JsonLinesProcess, spawnTracked } from './process.js';

/** A JSON-lines event from a memberlist peer process (Go peer or our agent; same shape). */
export interface PeerLine {
  readonly event: string;
  readonly node?: string;
  readonly meta?: string;
  readonly text?: string;
  readonly msg?: string;
  readonly unix_ms: number;
  readonly [k: string]: unknown;
}

/** A running memberlist peer process. */
export class PeerProcess extends JsonLinesProcess<PeerLine> {
  /** Resolves with the first line (past or future) matching `pred`, or rejects after `ms`. */
  waitFor(pred: (l: PeerLine) => boolean, ms: number, what = 'event'): Promise<PeerLine> {
    return this.waitLine(pred, { timeoutMs: ms, what });
  }
}

/** Where to run a peer. */
export interface PeerStartOptions {
  /** Run inside this lab namespace. @default the root namespace */
  netns?: string;
}

/** Starts the Go memberlist peer `bin` as node `name`; `args` are its flags (see its main.go). */
export function startGoPeer(bin: string, name: string, args: string[], opts: PeerStartOptions = {}): PeerProcess {
  return new PeerProcess(name, spawnTracked([bin, '-name', name, ...args], { netns: opts.netns }));
}

/** Starts a Node program (`node script --name NAME …args`) that prints peer lines. */
export function startNodePeer(script: string, name: string, args: string[], opts: PeerStartOptions = {}): PeerProcess {
  return new PeerProcess(name, spawnTracked([process.execPath, script, '--name', name, ...args], { netns: opts.netns }));
}

/** A random high port in [20000, 60000): the lab's loopback addresses are per suite, so clashes are unlikely. */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}

/** The Go peer and libs/memberlist's agent bundle, or why interop must skip. */
export type PeerBuild = { readonly goPeer: string; readonly agent: string } | { readonly skip: string };

/**
 * Builds (or reuses) the Go memberlist peer and bundles libs/memberlist's agent
 * (`test/fixtures/agent.ts`, our node as a separate process) into libs/memberlist/.cache.
 * Skips only when not root and Go 1.26 is missing; as root a missing toolchain is an error.
 */
export async function buildMemberlistPeers(): Promise<PeerBuild> {
  const why = goSkipReason();
  if (why) {
    if (!isRoot) return { skip: `Go peer unavailable: ${why}; not root either` };
    throw new Error(`Go peer unavailable: ${why}; running as root, so this is a setup error`);
  }
  const goPeer = await buildGoMemberlistPeer();
  const lib = join(repoRoot(), 'libs', 'memberlist');
  const agent = await bundleEntry(join(lib, 'test', 'fixtures', 'agent.ts'), join(lib, '.cache', 'agent.mjs'), { requireBanner: false });
  return { goPeer, agent };
}
