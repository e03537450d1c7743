/**
 * The flag engine every metallb-ts binary uses: a table of flags, each settable on the command
 * line (`--name VALUE`, `--name=VALUE`, bare `--name` for booleans) or through the environment as
 * `METALLB_<NAME>` (upper snake case: `--lb-class` → `METALLB_LB_CLASS`) plus explicit aliases
 * (MetalLB's `METALLB_ML_BIND_ADDR` for `--ml-bindaddr`, `KUBECONFIG` for `--kubeconfig`). The
 * command line wins over the environment; `--help` prints the table; a bad value is one line on
 * stderr and exit status 2.
 */
import { readFileSync } from 'node:fs';

/** How a flag's text becomes a value. */
export type FlagType = 'string' | 'int' | 'bool';

/** A flag's value. */
export type FlagValue = string | number | boolean;

/** The environment as the engine reads it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** One row of a flag table; `F` is the parsed flags object the table fills. */
export interface FlagSpec<F> {
  /** The flag without dashes, e.g. `lb-class`. */
  readonly name: string;
  /** The property of `F` it sets. */
  readonly key: keyof F & string;
  /** `string`, `int` (non-negative decimal) or `bool` (`true|false|1|0|yes|no`). */
  readonly type: FlagType;
  /** One line for `--help`. */
  readonly help: string;
  /** Environment names read besides `METALLB_<NAME>`, in order, e.g. `['METALLB_ML_BIND_ADDR']`. */
  readonly env?: readonly string[];
  /** The default: a value, or a function of the environment (e.g. read a file). `undefined`: unset. */
  readonly default?: FlagValue | ((env: Env) => FlagValue | undefined);
}

/** A bad command line or environment value. The message names the flag and says what is wrong. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** The derived environment name of a flag: `lb-class` → `METALLB_LB_CLASS`. */
export function flagEnvName(flag: string): string {
  return `METALLB_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** Every environment name a flag is read from, derived name first, each once. */
export function flagEnvNames<F>(spec: FlagSpec<F>): string[] {
  return [...new Set([flagEnvName(spec.name), ...(spec.env ?? [])])];
}

function defaultOf<F>(spec: FlagSpec<F>, env: Env): FlagValue | undefined {
  return typeof spec.default === 'function' ? spec.default(env) : spec.default;
}

function convert<F>(spec: FlagSpec<F>, raw: string, from: string): FlagValue {
  if (spec.type === 'string') return raw;
  if (spec.type === 'int') {
    if (!/^(0|[1-9][0-9]*)$/.test(raw.trim())) throw new FlagError(`${from}: "${raw}" is not a non-negative integer`);
    return Number(raw.trim());
  }
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new FlagError(`${from}: "${raw}" is not a boolean (true|false)`);
}

/** What {@link usage} prints above the table. */
export interface UsageOptions {
  /** The program name, e.g. `controller`. */
  readonly program: string;
  /** One sentence saying what the program does. */
  readonly description: string;
}

/** The `--help` text: every flag with its default and environment names. */
export function usage<F>(table: readonly FlagSpec<F>[], opts: UsageOptions): string {
  const lines = [`Usage: ${opts.program} [flags]`, '', opts.description, '', 'Flags (each also read from the environment variable shown):'];
  for (const f of table) {
    const d = defaultOf(f, {});
    lines.push(`  --${f.name}${f.type === 'bool' ? '[=true|false]' : ` ${f.type === 'int' ? 'N' : 'VALUE'}`}`);
    lines.push(`      ${f.help}${d !== undefined && d !== '' ? ` (default ${d})` : ''} [env ${flagEnvNames(f).join(', ')}]`);
  }
  lines.push('  --help', '      print this help and exit');
  return lines.join('\n');
}

/**
 * Parses argv (without node and script) and the environment against `table`.
 * `validate` runs last on the filled object, may complete it (derived defaults) and throws
 * {@link FlagError} for cross-flag problems.
 * @returns the flags, or `'help'` when `--help` (or `-h`) was given.
 * @throws {FlagError} naming the bad flag and value.
 */
export function parseFlags<F>(table: readonly FlagSpec<F>[], argv: readonly string[], env: Env, validate?: (flags: F) => void): F | 'help' {
  const byName = new Map(table.map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  for (const f of table) {
    const hit = flagEnvNames(f).find((n) => env[n] !== undefined && env[n] !== '');
    out[f.key] = hit ? convert(f, env[hit]!, `environment ${hit}`) : defaultOf(f, env);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('--')) throw new FlagError(`unexpected argument "${a}" (flags start with --; see --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag --${name} (see --help)`);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(`flag --${name} needs a value`);
      raw = next;
      i++;
    }
    out[spec.key] = convert(spec, raw, `--${name}`);
  }
  const flags = out as F;
  validate?.(flags);
  return flags;
}

/** Throws a {@link FlagError} unless `value` is one of `choices`. */
export function checkChoice<T extends string>(flag: string, value: string, choices: readonly T[]): asserts value is T {
  if (!(choices as readonly string[]).includes(value)) throw new FlagError(`--${flag}: "${value}" is not one of ${choices.join('|')}`);
}

/** Throws a {@link FlagError} unless `value` is a TCP port number (0 allowed: "disabled"). */
export function checkPort(flag: string, value: number): void {
  if (value > 65535) throw new FlagError(`--${flag}: ${value} is not a TCP port`);
}

/** Where {@link parseCommandLine} writes. */
export interface CommandLineIo {
  /** `--help` goes here. @default process.stdout */
  stdout?(text: string): void;
  /** The one-line error goes here. @default process.stderr */
  stderr?(text: string): void;
}

/** Options of {@link parseCommandLine}. */
export interface CommandLineOptions<F> extends UsageOptions, CommandLineIo {
  readonly table: readonly FlagSpec<F>[];
  readonly argv: readonly string[];
  /** @default process.env */
  readonly env?: Env;
  readonly validate?: (flags: F) => void;
}

/** What {@link parseCommandLine} decided: run with these flags, or exit with this status. */
export type CommandLine<F> = { kind: 'run'; flags: F } | { kind: 'exit'; code: 0 | 2; reason: 'help' | 'bad-flag' };

/**
 * {@link parseFlags} with the binary contract: `--help` prints {@link usage} and exits 0; a
 * {@link FlagError} prints `<program>: <message>` (one line) and exits 2.
 */
export function parseCommandLine<F>(opts: CommandLineOptions<F>): CommandLine<F> {
  const out = opts.stdout ?? ((t: string) => process.stdout.write(t));
  const err = opts.stderr ?? ((t: string) => process.stderr.write(t));
  try {
    const r = parseFlags(opts.table, opts.argv, opts.env ?? process.env, opts.validate);
    if (r === 'help') {
      out(`${usage(opts.table, opts)}\n`);
      return { kind: 'exit', code: 0, reason: 'help' };
    }
    return { kind: 'run', flags: r };
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    err(`${opts.program}: ${e.message.replace(/\n/g, ' ')}\n`);
    return { kind: 'exit', code: 2, reason: 'bad-flag' };
  }
}

/** Where Kubernetes mounts the pod's namespace in every container with a service account token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The pod's own namespace from its service-account mount, or undefined outside a pod — the default
 * of both apps' `--namespace` (then `metallb-system`), as MetalLB's binaries do.
 */
export function serviceAccountNamespace(file = SERVICE_ACCOUNT_NAMESPACE_FILE): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
