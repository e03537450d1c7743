/** Pure parsing of `kube-lab` command lines. */

/** The subcommands of `kube-lab`. */
export type Command = 'up' | 'status' | 'down' | 'build' | 'kubeconfig' | 'helm';

/** A parsed command line, or the error to print with usage. */
export type ParsedArgs =
  | {
      readonly ok: true;
      readonly command: Command;
      readonly dir: string | undefined;
      readonly address: string | undefined;
      readonly netns: string | undefined;
      readonly apiserverPort: number | undefined;
      readonly serviceCidr: string | undefined;
      readonly etcdUnsafeNoFsync: boolean;
      readonly purge: boolean;
      readonly namespace: string | undefined;
      readonly serviceAccount: string | undefined;
      /** `build --helm`: also build helm. */
      readonly helm: boolean;
      /** `helm ARGS…`: the arguments passed to helm, verbatim. */
      readonly helmArgs: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

/** The usage text. */
export const USAGE = `usage: kube-lab <command> [options]
  up --dir DIR [--address A] [--netns NS] [--port P] [--service-cidr CIDR] [--unsafe-no-fsync]
        build what is missing, start etcd, kube-apiserver and kube-controller-manager, wait for
        /readyz; the last line printed is KUBECONFIG=DIR/admin.kubeconfig
  status --dir DIR        the recorded processes and /readyz (exit 0 when running and ready)
  down --dir DIR [--purge] stop every process recorded in DIR (--purge: delete its state too)
  kubeconfig --dir DIR --namespace NS --service-account SA
                          write a kubeconfig with a TokenRequest token of NS/SA and print its path
  build [--helm]          only build and cache the binaries (--helm: helm too); prints NAME=PATH lines
  helm ARGS...            run the pinned helm (built when missing) with ARGS, e.g. helm lint CHART`;

const COMMANDS: readonly Command[] = ['up', 'status', 'down', 'build', 'kubeconfig', 'helm'];
const VALUE_FLAGS = ['--dir', '--address', '--netns', '--port', '--service-cidr', '--namespace', '--service-account'] as const;
const BOOL_FLAGS = ['--unsafe-no-fsync', '--purge', '--helm'] as const;

/** Parses `argv` (without node and the script). Flags take `--flag value` or `--flag=value`. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command || !COMMANDS.includes(command as Command)) return { ok: false, error: command ? `unknown command "${command}"` : 'no command given' };
  if (command === 'helm') {
    if (rest.length === 0) return { ok: false, error: 'helm needs the arguments to pass to helm, e.g. kube-lab helm version' };
    return { ok: true, command, dir: undefined, address: undefined, netns: undefined, apiserverPort: undefined, serviceCidr: undefined, etcdUnsafeNoFsync: false, purge: false, namespace: undefined, serviceAccount: undefined, helm: false, helmArgs: rest };
  }
  const values = new Map<string, string>();
  const bools = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if ((BOOL_FLAGS as readonly string[]).includes(flag)) {
      if (eq > 0) return { ok: false, error: `${flag} takes no value` };
      bools.add(flag);
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) return { ok: false, error: `unknown option "${arg}"` };
    const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined || value === '') return { ok: false, error: `${flag} needs a value` };
    values.set(flag, value);
  }
  const dir = values.get('--dir');
  if (command !== 'build' && !dir) return { ok: false, error: `${command} needs --dir DIR` };
  if (bools.has('--helm') && command !== 'build') return { ok: false, error: '--helm belongs to build' };
  let apiserverPort: number | undefined;
  const port = values.get('--port');
  if (port !== undefined) {
    apiserverPort = Number(port);
    if (!Number.isInteger(apiserverPort) || apiserverPort < 1 || apiserverPort > 65535) return { ok: false, error: `--port "${port}" is not a port number (1-65535)` };
  }
  const namespace = values.get('--namespace');
  const serviceAccount = values.get('--service-account');
  if (command === 'kubeconfig' && (!namespace || !serviceAccount)) return { ok: false, error: 'kubeconfig needs --namespace NS and --service-account SA' };
  return {
    ok: true,
    command: command as Command,
    dir,
    address: values.get('--address'),
    netns: values.get('--netns'),
    apiserverPort,
    serviceCidr: values.get('--service-cidr'),
    etcdUnsafeNoFsync: bools.has('--unsafe-no-fsync'),
    purge: bools.has('--purge'),
    namespace,
    serviceAccount,
    helm: bools.has('--helm'),
    helmArgs: [],
  };
}
