/**
 * Memberlist peers as child processes: the Go hashicorp/memberlist peer (binary from
 * {@link buildGoMemberlistPeer}) and any JSON-lines node program (e.g. libs/memberlist's agent
 * bundle). Both print the same line shape (`event`, `node`, `unix_ms`…).
 */
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
export type PeerProcess = JsonLinesProcess<PeerLine>;

/** Where to run a peer. */
export interface PeerStartOptions {
  /** Run inside this lab namespace. @default the root namespace */
  netns?: string;
}

/** Starts the Go memberlist peer `bin` as node `name`; `args` are its flags (see its main.go). */
export function startGoPeer(bin: string, name: string, args: string[], opts: PeerStartOptions = {}): PeerProcess {
  return new JsonLinesProcess<PeerLine>(name, spawnTracked([bin, '-name', name, ...args], { netns: opts.netns }));
}

/** Starts a Node program (`node script --name NAME …args`) that prints peer lines. */
export function startNodePeer(script: string, name: string, args: string[], opts: PeerStartOptions = {}): PeerProcess {
  return new JsonLinesProcess<PeerLine>(name, spawnTracked([process.execPath, script, '--name', name, ...args], { netns: opts.netns }));
}

/** A random high port in [20000, 60000): the lab's loopback addresses are per suite, so clashes are unlikely. */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}
