import { describe, expect, it } from 'vitest';
import { checkChoice, checkPort, FlagError, flagEnvName, flagEnvNames, parseCommandLine, parseFlags, usage, type FlagSpec } from './flags.js';

interface Demo {
  kubeconfig?: string;
  mlBindAddr: string;
  port: number;
  verbose: boolean;
  mode: string;
}

const TABLE: readonly FlagSpec<Demo>[] = [
  { name: 'kubeconfig', key: 'kubeconfig', type: 'string', env: ['KUBECONFIG'], help: 'client configuration' },
  { name: 'ml-bindaddr', key: 'mlBindAddr', type: 'string', env: ['METALLB_ML_BIND_ADDR'], help: 'memberlist bind address', default: (env) => env.POD_IP ?? '0.0.0.0' },
  { name: 'port', key: 'port', type: 'int', help: 'HTTP port', default: 7472 },
  { name: 'verbose', key: 'verbose', type: 'bool', help: 'more output', default: false },
  { name: 'mode', key: 'mode', type: 'string', help: 'a|b', default: 'a' },
];
const validate = (f: Demo) => {
  checkChoice('mode', f.mode, ['a', 'b']);
  checkPort('port', f.port);
};

describe('flag engine', () => {
  it('derives METALLB_<FLAG> from the flag name', () => {
    expect(flagEnvName('lb-class')).toBe('METALLB_LB_CLASS');
    expect(flagEnvName('ml-bindaddr')).toBe('METALLB_ML_BINDADDR');
  });
  it('defaults: values and functions of the environment', () => {
    expect(parseFlags(TABLE, [], {})).toEqual({ kubeconfig: undefined, mlBindAddr: '0.0.0.0', port: 7472, verbose: false, mode: 'a' });
    expect(parseFlags(TABLE, [], { POD_IP: '198.51.100.7' })).toMatchObject({ mlBindAddr: '198.51.100.7' });
  });
  it('explicit aliases: METALLB_ML_BIND_ADDR sets --ml-bindaddr; the derived name is read first', () => {
    expect(parseFlags(TABLE, [], { METALLB_ML_BIND_ADDR: '198.51.100.1' })).toMatchObject({ mlBindAddr: '198.51.100.1' });
    expect(parseFlags(TABLE, [], { METALLB_ML_BIND_ADDR: '198.51.100.1', METALLB_ML_BINDADDR: '198.51.100.2' })).toMatchObject({ mlBindAddr: '198.51.100.2' });
    expect(parseFlags(TABLE, [], { KUBECONFIG: '/k' })).toMatchObject({ kubeconfig: '/k' });
  });
  it('an empty environment value counts as unset', () => {
    expect(parseFlags(TABLE, [], { METALLB_PORT: '' })).toMatchObject({ port: 7472 });
  });
  it('the command line wins over the environment; --f=v, --f v and bare booleans', () => {
    const env = { METALLB_PORT: '9000', METALLB_VERBOSE: 'yes' };
    expect(parseFlags(TABLE, [], env)).toMatchObject({ port: 9000, verbose: true });
    expect(parseFlags(TABLE, ['--port=1', '--verbose=false'], env)).toMatchObject({ port: 1, verbose: false });
    expect(parseFlags(TABLE, ['--port', '2', '--verbose'], {})).toMatchObject({ port: 2, verbose: true });
  });
  it.each([
    [['--port', 'x'], '--port: "x" is not a non-negative integer'],
    [['--port', '-1'], '--port: "-1" is not a non-negative integer'],
    [['--port', '--verbose'], 'flag --port needs a value'],
    [['--port=70000'], '--port: 70000 is not a TCP port'],
    [['--mode', 'c'], '--mode: "c" is not one of a|b'],
    [['--verbose=maybe'], '--verbose: "maybe" is not a boolean'],
    [['--nope'], 'unknown flag --nope (see --help)'],
    [['stray'], 'unexpected argument "stray"'],
  ])('%j → FlagError %j', (argv, msg) => {
    expect(() => parseFlags(TABLE, argv, {}, validate)).toThrow(FlagError);
    expect(() => parseFlags(TABLE, argv, {}, validate)).toThrow(msg);
  });
  it('bad environment values name the variable', () => {
    expect(() => parseFlags(TABLE, [], { METALLB_PORT: '12x' })).toThrow('environment METALLB_PORT: "12x" is not a non-negative integer');
  });
  it('--help lists every flag with its default and every environment name', () => {
    expect(parseFlags(TABLE, ['--port', '1', '--help'], {})).toBe('help');
    expect(parseFlags(TABLE, ['-h'], {})).toBe('help');
    const u = usage(TABLE, { program: 'demo', description: 'A demo.' });
    expect(u.split('\n').slice(0, 3)).toEqual(['Usage: demo [flags]', '', 'A demo.']);
    expect(u).toContain('  --ml-bindaddr VALUE\n      memberlist bind address (default 0.0.0.0) [env METALLB_ML_BINDADDR, METALLB_ML_BIND_ADDR]');
    expect(u).toContain('  --port N\n      HTTP port (default 7472) [env METALLB_PORT]');
    expect(u).toContain('  --verbose[=true|false]');
    expect(u).toContain('[env METALLB_KUBECONFIG, KUBECONFIG]');
    // an explicit alias equal to the derived name is listed once (regression: `[env METALLB_ML_LABELS, METALLB_ML_LABELS]`)
    expect(flagEnvNames({ name: 'ml-labels', key: 'x', type: 'string', help: '', env: ['METALLB_ML_LABELS'] })).toEqual(['METALLB_ML_LABELS']);
  });
});

describe('parseCommandLine (the binary contract)', () => {
  const run = (argv: string[], env = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const r = parseCommandLine({ program: 'demo', description: 'A demo.', table: TABLE, argv, env, validate, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { r, out: out.join(''), err: err.join('') };
  };
  it('runs with the parsed flags', () => {
    expect(run(['--port', '80']).r).toEqual({ kind: 'run', flags: expect.objectContaining({ port: 80 }) });
  });
  it('--help prints the usage and exits 0', () => {
    const { r, out, err } = run(['--help']);
    expect(r).toEqual({ kind: 'exit', code: 0, reason: 'help' });
    expect(out).toMatch(/^Usage: demo \[flags\]\n[\s\S]*--help\n {6}print this help and exit\n$/);
    expect(err).toBe('');
  });
  it('a bad value is one line on stderr and exit 2', () => {
    const { r, out, err } = run(['--port', 'abc']);
    expect(r).toEqual({ kind: 'exit', code: 2, reason: 'bad-flag' });
    expect(err).toBe('demo: --port: "abc" is not a non-negative integer\n');
    expect(out).toBe('');
  });
  it('multi-line validation messages are folded into one line', () => {
    const { err } = parseCommandLineErr(() => {
      throw new FlagError('first\nsecond');
    });
    expect(err).toBe('demo: first second\n');
  });
  it('other errors propagate (a bug, not a bad flag)', () => {
    expect(() => parseCommandLineErr(() => { throw new TypeError('boom'); })).toThrow(TypeError);
  });
});

function parseCommandLineErr(validate: () => void) {
  const err: string[] = [];
  const r = parseCommandLine<Demo>({ program: 'demo', description: '', table: TABLE, argv: [], env: {}, validate, stdout: () => {}, stderr: (t) => err.push(t) });
  return { r, err: err.join('') };
}

describe('serviceAccountNamespace', () => {
  it('reads the pod namespace from the service-account mount, trimmed; undefined when absent or empty', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { serviceAccountNamespace } = await import('./flags.js');
    const dir = mkdtempSync(join(tmpdir(), 'sa-ns-'));
    try {
      writeFileSync(join(dir, 'ns'), 'metallb-system\n');
      writeFileSync(join(dir, 'empty'), '  \n');
      expect(serviceAccountNamespace(join(dir, 'ns'))).toBe('metallb-system');
      expect(serviceAccountNamespace(join(dir, 'empty'))).toBeUndefined();
      expect(serviceAccountNamespace(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
