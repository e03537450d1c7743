/**
 * Argument parsing for every subcommand: pure functions from `argv` to a typed configuration,
 * throwing {@link UsageError} (one line, printed by `main` with exit code 2) on anything wrong.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseRouteSpec, prefixKey, RouteParseError, type Route } from '@metallb-ts/bgp-speaker';
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { BGP_PASSWORD_ENV, checkBgpPassword } from './secrets.js';

/** A bad command line: the message is the one line printed on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--help` was asked for: print {@link HelpRequest.text} on stdout and exit 0. */
export class HelpRequest {
  constructor(readonly text: string) {}
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What parsers may read besides argv — environment variables and secret files — injected so that parsing stays unit-testable. */
export interface ArgsEnv {
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole file as UTF-8 (throws Node's errno errors). */
  readFile(path: string): string;
}

/** The real process environment and file system. */
export const PROCESS_ARGS_ENV: ArgsEnv = { env: process.env, readFile: (p) => readFileSync(p, 'utf8') };

/** A file named by a flag, or a one-line {@link UsageError} saying why it cannot be read. */
function readFlagFile(ctx: ArgsEnv, flag: string, path: string): string {
  try {
    return ctx.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message);
    throw new UsageError(`--${flag} ${path}: ${why}`);
  }
}

/** node:util parseArgs, strict, with its errors turned into {@link UsageError}s. */
function parse(argv: readonly string[], options: Options, help: string): Record<string, string | boolean | string[] | undefined> | HelpRequest {
  if (argv.includes('--help') || argv.includes('-h')) return new HelpRequest(help);
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | string[] | undefined>;
  } catch (e) {
    // "Unknown option '--x'. To specify a positional argument starting with a '-', ..." → first sentence
    const msg = (e as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new UsageError(msg);
  }
}

function required(v: Record<string, unknown>, name: string): string {
  const x = v[name];
  if (typeof x !== 'string' || x === '') throw new UsageError(`--${name} is required`);
  return x;
}

/** An integer flag in [min, max]. */
export function intFlag(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} ${JSON.stringify(text)}: not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} ${text}: out of range ${min}–${max}`);
  return n;
}

/** An IP address flag. */
export function ipFlag(name: string, text: string): IPAddress {
  const r = IPAddress.parseResult(text);
  if (!(r instanceof IPAddress)) throw new UsageError(`--${name} ${JSON.stringify(text)}: ${r.message}`);
  return r;
}

/** `ADDR:PORT`, `[v6]:PORT` (or a bare ADDR when `defaultPort` is given). */
export function hostPortFlag(name: string, text: string, defaultPort?: number): { ip: IPAddress; port: number } {
  let host = text;
  let port: string | undefined;
  const br = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (br) {
    host = br[1]!;
    port = br[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host, port] = text.split(':') as [string, string];
  }
  const ip = IPAddress.parseResult(host);
  if (!(ip instanceof IPAddress)) throw new UsageError(`--${name} ${JSON.stringify(text)}: ${ip.message}`);
  if (port === undefined) {
    if (defaultPort === undefined) throw new UsageError(`--${name} ${JSON.stringify(text)}: expected ADDR:PORT`);
    return { ip, port: defaultPort };
  }
  return { ip, port: intFlag(name, port, 0, 65535) };
}

/** A `--route` value (`CIDR,next-hop=IP[,local-pref=N][,med=N][,communities=A:B;C:D][,large-communities=A:B:C]`). */
export function routeFlag(text: string, flag = '--route'): Route {
  try {
    return parseRouteSpec(text);
  } catch (e) {
    if (e instanceof RouteParseError) throw new UsageError(`${flag} ${text}: ${e.reason}`.replace(/\s+/g, ' '));
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// bgp announce

/** The configuration of `metallb-ts bgp announce`. */
export interface BgpAnnounceArgs {
  localAddress: IPAddress;
  localPort?: number;
  localAsn: number;
  peerAddress: IPAddress;
  peerPort: number;
  peerAsn: number;
  routerId: IPAddress;
  holdTime: number;
  connectRetry: number;
  password?: string;
  ebgpMultihop: boolean;
  routes: Route[];
}

/** Help text of `bgp announce`. */
export const BGP_ANNOUNCE_HELP = `Usage: metallb-ts bgp announce --local-address ADDR [--local-port N] --local-asn N
         --peer-address ADDR [--peer-port N] --peer-asn N [--router-id IP] [--hold-time SECONDS]
         [--connect-retry SECONDS] [--password-file FILE | --password SECRET] [--ebgp-multihop]
         --route CIDR,next-hop=IP[,local-pref=N][,med=N][,communities=A:B;C:D][,large-communities=A:B:C] [--route …]…

Keeps a BGP session to one peer (reconnecting) and advertises the routes (IPv4 and IPv6).
stdin lines change the advertised set without resetting the session:
  add CIDR,next-hop=IP[,…]     announce (or replace) a route
  withdraw CIDR                withdraw it
stdout: one JSON object per line: {"ts":…,"event":"state","from":…,"to":…,"reason":…},
  {"event":"established",…}, {"event":"sent",…}, {"event":"notification",…}, {"event":"routes",…}.
SIGTERM/SIGINT: NOTIFICATION Cease (Administrative Shutdown), close, exit 0.

  --local-address ADDR   address to connect from (required)
  --local-port N         source port (default: ephemeral)
  --local-asn N          our AS number, 1–4294967295 (required)
  --peer-address ADDR    the peer (required)
  --peer-port N          default 179
  --peer-asn N           the peer's AS number (required)
  --router-id IP         BGP identifier (default: --local-address when IPv4; required otherwise)
  --hold-time SECONDS    0 or 3–65535 (default 90)
  --connect-retry SECONDS  ConnectRetry timer (default 10)
  --password-file FILE   TCP MD5 signature (RFC 2385) key read from FILE (one trailing newline
                         stripped); default: $METALLB_TS_BGP_PASSWORD when set
  --password SECRET      the same key on the command line (visible in ps; prefer the two above)
  --ebgp-multihop        TTL 255 instead of 1 toward an eBGP peer
  --route SPEC           a route to advertise; repeatable; may be none (then give them on stdin)
`;

/**
 * Parses `bgp announce` arguments. The MD5 password comes from `--password`, `--password-file`
 * (mutually exclusive) or, when neither is given, `$METALLB_TS_BGP_PASSWORD` (empty = unset).
 */
export function parseBgpAnnounce(argv: readonly string[], ctx: ArgsEnv = PROCESS_ARGS_ENV): BgpAnnounceArgs | HelpRequest {
  const v = parse(
    argv,
    {
      'local-address': { type: 'string' },
      'local-port': { type: 'string' },
      'local-asn': { type: 'string' },
      'peer-address': { type: 'string' },
      'peer-port': { type: 'string' },
      'peer-asn': { type: 'string' },
      'router-id': { type: 'string' },
      'hold-time': { type: 'string' },
      'connect-retry': { type: 'string' },
      password: { type: 'string' },
      'password-file': { type: 'string' },
      'ebgp-multihop': { type: 'boolean' },
      route: { type: 'string', multiple: true },
    },
    BGP_ANNOUNCE_HELP,
  );
  if (v instanceof HelpRequest) return v;
  const localAddress = ipFlag('local-address', required(v, 'local-address'));
  const peerAddress = ipFlag('peer-address', required(v, 'peer-address'));
  const localAsn = intFlag('local-asn', required(v, 'local-asn'), 1, 0xffffffff);
  const peerAsn = intFlag('peer-asn', required(v, 'peer-asn'), 1, 0xffffffff);
  if (localAddress.isV4 !== peerAddress.isV4) throw new UsageError('--local-address and --peer-address must be of the same family');
  let routerId: IPAddress;
  if (typeof v['router-id'] === 'string') {
    routerId = ipFlag('router-id', v['router-id']);
    if (!routerId.isV4) throw new UsageError(`--router-id ${v['router-id']}: must be an IPv4 address`);
  } else if (localAddress.isV4) routerId = localAddress;
  else throw new UsageError('--router-id is required when --local-address is IPv6');
  const holdTime = typeof v['hold-time'] === 'string' ? intFlag('hold-time', v['hold-time'], 0, 65535) : 90;
  if (holdTime === 1 || holdTime === 2) throw new UsageError(`--hold-time ${holdTime}: must be 0 or at least 3 (RFC 4271)`);
  const routes = ((v['route'] as string[] | undefined) ?? []).map((r) => routeFlag(r));
  const seen = new Set<string>();
  for (const r of routes) {
    const k = prefixKey(r.prefix);
    if (seen.has(k)) throw new UsageError(`--route ${r.prefix.toString()}: given twice`);
    seen.add(k);
  }
  const out: BgpAnnounceArgs = {
    localAddress,
    localAsn,
    peerAddress,
    peerPort: typeof v['peer-port'] === 'string' ? intFlag('peer-port', v['peer-port'], 1, 65535) : 179,
    peerAsn,
    routerId,
    holdTime,
    connectRetry: typeof v['connect-retry'] === 'string' ? intFlag('connect-retry', v['connect-retry'], 1, 65535) : 10,
    ebgpMultihop: v['ebgp-multihop'] === true,
    routes,
  };
  if (typeof v['local-port'] === 'string') out.localPort = intFlag('local-port', v['local-port'], 1, 65535);
  const password = passwordOf(v, ctx);
  if (password !== undefined) out.password = password;
  return out;
}

/** The MD5 password from `--password`, `--password-file` or the environment (see {@link parseBgpAnnounce}). */
function passwordOf(v: Record<string, unknown>, ctx: ArgsEnv): string | undefined {
  const flag = v['password'];
  const file = v['password-file'];
  if (typeof flag === 'string' && typeof file === 'string') throw new UsageError('--password and --password-file are mutually exclusive');
  let text: string;
  let source: string;
  if (typeof flag === 'string') {
    // Verbatim: a newline typed into an argument is the user's.
    if (flag.length === 0 || flag.length > 80) throw new UsageError('--password: 1–80 characters (TCP MD5 key)');
    return flag;
  } else if (typeof file === 'string') {
    if (file === '') throw new UsageError('--password-file: expected a file name');
    text = readFlagFile(ctx, 'password-file', file);
    source = `--password-file ${file}`;
  } else {
    const env = ctx.env[BGP_PASSWORD_ENV];
    if (env === undefined || env === '') return undefined;
    text = env;
    source = `$${BGP_PASSWORD_ENV}`;
  }
  const c = checkBgpPassword(text);
  if (c.kind === 'refused') throw new UsageError(`${source}: ${c.problem}`);
  return c.value;
}

/** A command read from stdin by `bgp announce`. */
export type StdinCommand = { op: 'add'; route: Route } | { op: 'withdraw'; prefix: Cidr } | { op: 'none' };

/** Parses one stdin line of `bgp announce` (`add SPEC`, `withdraw CIDR`, blank or `# comment`). */
export function parseStdinLine(line: string): StdinCommand {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return { op: 'none' };
  const sp = t.search(/\s/);
  const verb = sp < 0 ? t : t.slice(0, sp);
  const rest = sp < 0 ? '' : t.slice(sp).trim();
  switch (verb) {
    case 'add':
    case 'announce':
      if (!rest) throw new UsageError('add: expected "add CIDR,next-hop=IP[,…]"');
      return { op: 'add', route: routeFlag(rest, 'add') };
    case 'withdraw': {
      if (!rest) throw new UsageError('withdraw: expected "withdraw CIDR"');
      const c = Cidr.parseResult(rest.split(',')[0]!.trim(), { strict: true });
      if (!(c instanceof Cidr)) throw new UsageError(`withdraw ${rest}: ${c.message}`);
      return { op: 'withdraw', prefix: c };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(verb)} (add, withdraw)`);
  }
}

// ---------------------------------------------------------------------------------------------
// l2 respond

/** The configuration of `metallb-ts l2 respond`. */
export interface L2RespondArgs {
  interface: string;
  ips: IPAddress[];
  gratuitous: boolean;
  addonPath?: string;
}

/** Help text of `l2 respond`. */
export const L2_RESPOND_HELP = `Usage: metallb-ts l2 respond --interface IF --ip IP [--ip IP]… [--gratuitous] [--addon PATH]

Answers ARP (IPv4) and NDP Neighbor Solicitations (IPv6) for the IPs on that interface as a
MetalLB speaker would (needs CAP_NET_RAW). The IPs need not be configured on any interface.
stdout: one JSON object per line: {"ts":…,"event":"reply","ip":…,"to":MAC,"proto":"arp"|"ndp","interface":IF},
  {"event":"conflict","ip":…,"mac":…,"via":…}, {"event":"ready",…}, {"event":"error",…}.
SIGTERM/SIGINT: stop answering, close the sockets, exit 0.

  --interface IF   the interface to answer on (required)
  --ip IP          an address to answer for; repeatable (required)
  --gratuitous     send MetalLB's takeover burst at start (gratuitous ARP / unsolicited NA,
                   2 frames at once then every 1.1 s for 5 s)
  --addon PATH     arp_responder.node (default: $METALLB_TS_ARP_RESPONDER_ADDON, then beside this program)
`;

/** Parses `l2 respond` arguments. */
export function parseL2Respond(argv: readonly string[]): L2RespondArgs | HelpRequest {
  const v = parse(argv, { interface: { type: 'string' }, ip: { type: 'string', multiple: true }, gratuitous: { type: 'boolean' }, addon: { type: 'string' } }, L2_RESPOND_HELP);
  if (v instanceof HelpRequest) return v;
  const ifName = required(v, 'interface');
  if (ifName.length > 15 || /[\s/]/.test(ifName)) throw new UsageError(`--interface ${JSON.stringify(ifName)}: not an interface name`);
  const ipTexts = (v['ip'] as string[] | undefined) ?? [];
  if (ipTexts.length === 0) throw new UsageError('--ip is required (repeat it for several addresses)');
  const ips = ipTexts.map((t) => ipFlag('ip', t));
  const out: L2RespondArgs = { interface: ifName, ips, gratuitous: v['gratuitous'] === true };
  if (typeof v['addon'] === 'string') out.addonPath = v['addon'];
  return out;
}

// ---------------------------------------------------------------------------------------------
// memberlist agent

/** The configuration of `metallb-ts memberlist agent`. */
export interface MemberlistAgentArgs {
  name: string;
  bind: string;
  advertise?: string;
  join: string[];
  secretKeyPath?: string;
  preset: 'lan' | 'balanced' | 'fast';
  meta?: string;
}

/** Help text of `memberlist agent`. */
export const MEMBERLIST_AGENT_HELP = `Usage: metallb-ts memberlist agent --name NAME --bind ADDR:PORT [--advertise ADDR:PORT]
         [--join ADDR:PORT]… [--secret-key-path FILE] [--preset lan|balanced|fast] [--meta TEXT]

Joins a memberlist cluster (ours or hashicorp/memberlist's, e.g. MetalLB speakers on :7946).
With --secret-key-path, traffic is encrypted with MetalLB's key derivation (the file, or a
directory holding "secretkey", as mounted from the memberlist Secret).
stdout: one JSON object per line: {"ts":…,"event":"join"|"update"|"leave"|"dead","node":NAME,"addr":"IP:PORT","reason":…,"meta":…},
  {"event":"start",…}, {"event":"joined","contacted":N}.
SIGTERM/SIGINT: graceful leave (1 s), shutdown, exit 0.

  --name NAME             this node's name, unique in the cluster (required)
  --bind ADDR:PORT        UDP + TCP address to bind (required; port 0 = pick one)
  --advertise ADDR:PORT   address to tell others (default: the bound one)
  --join ADDR:PORT        a member to join through; repeatable (default: start a new cluster)
  --secret-key-path FILE  MetalLB memberlist secret (an empty or whitespace-only one is refused)
  --preset lan|balanced|fast  timing: lan = MetalLB's (default), balanced = a silent node dead in 2–3 s
                          (the speaker's default), fast = sub-second failure detection
  --meta TEXT             node metadata (at most 512 bytes)
`;

/** Parses `memberlist agent` arguments. */
export function parseMemberlistAgent(argv: readonly string[]): MemberlistAgentArgs | HelpRequest {
  const v = parse(
    argv,
    {
      name: { type: 'string' },
      bind: { type: 'string' },
      advertise: { type: 'string' },
      join: { type: 'string', multiple: true },
      'secret-key-path': { type: 'string' },
      preset: { type: 'string' },
      meta: { type: 'string' },
    },
    MEMBERLIST_AGENT_HELP,
  );
  if (v instanceof HelpRequest) return v;
  const name = required(v, 'name');
  const bind = required(v, 'bind');
  hostPortFlag('bind', bind);
  const preset = (v['preset'] as string | undefined) ?? 'lan';
  if (preset !== 'lan' && preset !== 'balanced' && preset !== 'fast') throw new UsageError(`--preset ${JSON.stringify(preset)}: expected lan, balanced or fast`);
  const join = ((v['join'] as string[] | undefined) ?? []).flatMap((j) => j.split(',')).filter(Boolean);
  for (const j of join) hostPortFlag('join', j, 7946);
  const out: MemberlistAgentArgs = { name, bind, join, preset };
  if (typeof v['advertise'] === 'string') {
    hostPortFlag('advertise', v['advertise']);
    out.advertise = v['advertise'];
  }
  if (typeof v['secret-key-path'] === 'string') out.secretKeyPath = v['secret-key-path'];
  if (typeof v['meta'] === 'string') {
    if (new TextEncoder().encode(v['meta']).length > 512) throw new UsageError('--meta: at most 512 bytes');
    out.meta = v['meta'];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// election order

/** The configuration of `metallb-ts election order`. */
export interface ElectionOrderArgs {
  ip: string;
  nodes: string[];
  scores: Record<string, number>;
  explain: boolean;
}

/** Help text of `election order`. */
export const ELECTION_ORDER_HELP = `Usage: metallb-ts election order --ip IP --nodes A,B,C [--scores A=100,B=50] [--explain]

Prints the Layer 2 announcer order for IP, one node per line, the announcer first, as MetalLB
ranks it: higher score first, then SHA-256("<node>#<ip>") ascending.

  --ip IP                 the service's first status IP
  --nodes A,B,C           candidate nodes (comma-separated; repeatable)
  --scores A=100,B=50     preferred-node scores (default 0)
  --explain               one JSON object per node instead: {"node","score","digest"}
`;

/** Parses `election order` arguments. */
export function parseElectionOrder(argv: readonly string[]): ElectionOrderArgs | HelpRequest {
  const v = parse(argv, { ip: { type: 'string' }, nodes: { type: 'string', multiple: true }, scores: { type: 'string', multiple: true }, explain: { type: 'boolean' } }, ELECTION_ORDER_HELP);
  if (v instanceof HelpRequest) return v;
  const ip = required(v, 'ip');
  ipFlag('ip', ip);
  const nodes = ((v['nodes'] as string[] | undefined) ?? []).flatMap((n) => n.split(',')).map((n) => n.trim());
  if (nodes.length === 0) throw new UsageError('--nodes is required');
  if (nodes.some((n) => n === '')) throw new UsageError('--nodes: empty node name');
  const scores: Record<string, number> = {};
  for (const s of ((v['scores'] as string[] | undefined) ?? []).flatMap((x) => x.split(',')).filter(Boolean)) {
    const eq = s.lastIndexOf('=');
    if (eq <= 0) throw new UsageError(`--scores ${JSON.stringify(s)}: expected NODE=SCORE`);
    const node = s.slice(0, eq).trim();
    const text = s.slice(eq + 1).trim();
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--scores ${JSON.stringify(s)}: score must be an integer`);
    if (node in scores) throw new UsageError(`--scores: ${node} given twice`);
    scores[node] = Number(text);
  }
  return { ip, nodes, scores, explain: v['explain'] === true };
}
