/** Subcommand dispatch, help, and the single-line error contract. */
import { HelpRequest, parseBgpAnnounce, parseElectionOrder, parseL2Respond, parseMemberlistAgent, UsageError } from './args.js';
import type { Io } from './io.js';

/** Top-level help. */
export const MAIN_HELP = `Usage: metallb-ts <command> <subcommand> [flags]   (each has --help)

  bgp announce        keep a BGP session to one peer and advertise routes (stdin: add/withdraw)
  l2 respond          answer ARP and NDP for IPs on an interface, as a MetalLB speaker does
  memberlist agent    join a memberlist cluster (MetalLB speakers' or ours)
  election order      print the Layer 2 announcer order for an IP, as MetalLB ranks nodes

Long-running commands print one JSON object per line on stdout (each with an ISO "ts"), logs on
stderr, and exit 0 on SIGTERM/SIGINT after cleaning up. Bad arguments: one line on stderr, exit 2.
`;

interface Command {
  help: string;
  parse(argv: readonly string[]): unknown;
  run(args: never, io: Io): Promise<number> | number;
}

/** Loaded lazily so that `election order` does not load the BGP or AF_PACKET code. */
const COMMANDS: Record<string, Record<string, () => Promise<Command>>> = {
  bgp: {
    announce: async () => ({ help: (await import('./args.js')).BGP_ANNOUNCE_HELP, parse: parseBgpAnnounce, run: (await import('./bgp.js')).runBgpAnnounce }),
  },
  l2: {
    respond: async () => ({ help: (await import('./args.js')).L2_RESPOND_HELP, parse: parseL2Respond, run: (await import('./l2.js')).runL2Respond }),
  },
  memberlist: {
    agent: async () => ({ help: (await import('./args.js')).MEMBERLIST_AGENT_HELP, parse: parseMemberlistAgent, run: (await import('./memberlist.js')).runMemberlistAgent }),
  },
  election: {
    order: async () => ({ help: (await import('./args.js')).ELECTION_ORDER_HELP, parse: parseElectionOrder, run: (await import('./election.js')).runElectionOrder }),
  },
};

/** Runs the command line `argv` (without `node main.mjs`); resolves the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const [group, sub, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    io.out(MAIN_HELP);
    return group === undefined ? 2 : 0;
  }
  const subs = COMMANDS[group];
  if (!subs) return fail(io, `unknown command ${JSON.stringify(group)} (bgp, l2, memberlist, election; see --help)`);
  const names = Object.keys(subs).join(', ');
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(`Usage: metallb-ts ${group} <${names}> [flags]; metallb-ts ${group} <subcommand> --help\n`);
    return sub === undefined ? 2 : 0;
  }
  const load = subs[sub];
  if (!load) return fail(io, `unknown subcommand ${JSON.stringify(`${group} ${sub}`)} (${names})`);
  const cmd = await load();
  try {
    const args = cmd.parse(rest);
    if (args instanceof HelpRequest) {
      io.out(args.text);
      return 0;
    }
    return await cmd.run(args as never, io);
  } catch (e) {
    if (e instanceof UsageError) return fail(io, `${group} ${sub}: ${e.message}`);
    throw e;
  }
}

function fail(io: Io, msg: string): number {
  io.error(`metallb-ts: ${msg.replace(/\s*\n\s*/g, ' ')}`);
  return 2;
}
