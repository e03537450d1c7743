/** Pure parsing of `lab` command lines. */
import { DEFAULT_PREFIX, MAX_NODES } from './topology.js';

/** The user-facing commands. */
export const COMMANDS = ['up', 'demo', 'status', 'down', 'kubeconfig'] as const;
export type Command = (typeof COMMANDS)[number];

/** A parsed command line. */
export interface LabArgs {
  readonly command: Command;
  readonly nodes: number;
  readonly kube: 'lite' | 'real';
  readonly prefix: string;
  /** `up`: return once the lab runs instead of waiting for Ctrl-C. */
  readonly detach: boolean;
  /** `demo`: leave the lab running at the end. */
  readonly keep: boolean;
  /** `up`: run MetalLB's own controller (this binary, `metallb-peer build`) instead of ours. */
  readonly metallbController?: string;
  /** `up`: run MetalLB's own speaker (this binary) on every node instead of ours. */
  readonly metallbSpeaker?: string;
}

/** The usage text. */
export const USAGE = `usage: lab <command> [options]      (node dist/apps/lab/main.mjs …; npm start = lab demo)
  up [--nodes 3] [--kube lite|real] [--detach] [--metallb-controller BIN] [--metallb-speaker BIN]
                 build the lab (root): control plane, N nodes, a client and an FRR router in
                 network namespaces; waits for Ctrl-C, which tears it down (--detach: return);
                 --metallb-*: MetalLB's own binaries (npx metallb-peer build) instead of ours
  demo [--kube lite|real] [--keep]
                 the seed guide's verification for real, narrated (L2, failover, BGP ECMP)
  status         what runs, what is missing (exit 0 when the whole lab runs)
  down           stop everything the lab started and delete its namespaces
  kubeconfig     print the path of the lab's kubeconfig
options for every command: --prefix P (namespaces P-cp, P-n1…; default ${DEFAULT_PREFIX})`;

/** Why a command line was refused. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses argv (without node and the script). Flags take `--flag value` or `--flag=value`. */
export function parseArgs(argv: readonly string[]): LabArgs {
  const [cmd, ...rest] = argv;
  const command = (cmd ?? 'demo') as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${cmd}"`);
  let nodes = 3;
  let kube: 'lite' | 'real' = 'lite';
  let prefix = DEFAULT_PREFIX;
  let detach = false;
  let keep = false;
  const metallb: { metallbController?: string; metallbSpeaker?: string } = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--nodes': {
        const v = value();
        nodes = Number(v);
        if (!/^\d+$/.test(v) || nodes < 1 || nodes > MAX_NODES) throw new UsageError(`--nodes must be 1 to ${MAX_NODES}, not "${v}"`);
        break;
      }
      case '--kube': {
        const v = value();
        if (v !== 'lite' && v !== 'real') throw new UsageError(`--kube must be lite or real, not "${v}"`);
        kube = v;
        break;
      }
      case '--prefix':
        prefix = value();
        break;
      case '--detach':
        detach = true;
        break;
      case '--keep':
        keep = true;
        break;
      case '--metallb-controller':
        metallb.metallbController = value();
        break;
      case '--metallb-speaker':
        metallb.metallbSpeaker = value();
        break;
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown option "${a}"`);
    }
  }
  if (command !== 'up' && Object.keys(metallb).length) throw new UsageError('--metallb-controller and --metallb-speaker are options of "up"');
  return { command, nodes, kube, prefix, detach, keep, ...metallb };
}
