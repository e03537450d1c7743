import { describe, expect, it } from 'vitest';
import {
  HelpRequest,
  type ArgsEnv,
  hostPortFlag,
  intFlag,
  parseBgpAnnounce,
  parseElectionOrder,
  parseL2Respond,
  parseMemberlistAgent,
  parseStdinLine,
  UsageError,
  type BgpAnnounceArgs,
} from './args.js';

const BASE = ['--local-address', '127.0.40.1', '--local-asn', '64512', '--peer-address', '127.0.40.2', '--peer-asn', '64513'];
const bgp = (...extra: string[]) => parseBgpAnnounce([...BASE, ...extra]) as BgpAnnounceArgs;
const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a UsageError');
};

describe('bgp announce arguments', () => {
  it('parses the full contract', () => {
    const a = bgp(
      '--local-port', '40179', '--peer-port', '11790', '--router-id', '198.51.100.1', '--hold-time', '30', '--password', 's3cret', '--ebgp-multihop',
      '--route', '198.51.100.0/24,next-hop=198.51.100.1,local-pref=200,communities=64512:1;64512:2,large-communities=64512:1:2',
      '--route', '2001:db8::/32,next-hop=2001:db8::1',
    );
    expect(a.localAddress.toString()).toBe('127.0.40.1');
    expect(a).toMatchObject({ localPort: 40179, localAsn: 64512, peerPort: 11790, peerAsn: 64513, holdTime: 30, password: 's3cret', ebgpMultihop: true });
    expect(a.routerId.toString()).toBe('198.51.100.1');
    expect(a.routes.map((r) => r.prefix.toString())).toEqual(['198.51.100.0/24', '2001:db8::/32']);
    expect(a.routes[0]).toMatchObject({ localPref: 200, communities: [{ kind: 'standard', asn: 64512, value: 1 }, { kind: 'standard', asn: 64512, value: 2 }, { kind: 'large', global: 64512, local1: 1, local2: 2 }] });
    expect(a.routes[1]!.nextHop?.toString()).toBe('2001:db8::1');
  });
  it('defaults: peer port 179, hold 90, router id = IPv4 local address, no routes, no password', () => {
    const a = bgp();
    expect(a).toMatchObject({ peerPort: 179, holdTime: 90, connectRetry: 10, ebgpMultihop: false, routes: [] });
    expect(a.routerId.toString()).toBe('127.0.40.1');
    expect(a.localPort).toBeUndefined();
    expect(a.password).toBeUndefined();
  });
  it.each([
    [['--route', '203.0.113.0/33,next-hop=198.51.100.1'], /--route 203\.0\.113\.0\/33.*\/33/],
    [['--route', '203.0.113.0/24'], /next-hop=IP is required/],
    [['--route', '203.0.113.1/24,next-hop=198.51.100.1'], /--route 203\.0\.113\.1\/24/],
    [['--route', '203.0.113.0/24,next-hop=2001:db8::1'], /--route/],
    [['--route', '203.0.113.0/24,next-hop=198.51.100.1,colour=red'], /unknown option "colour"/],
    [['--route', '203.0.113.0/24,next-hop=198.51.100.1', '--route', '203.0.113.0/24,next-hop=198.51.100.2'], /given twice/],
    [['--hold-time', '2'], /--hold-time 2: must be 0 or at least 3/],
    [['--hold-time', '70000'], /--hold-time 70000: out of range/],
    [['--peer-port', '0'], /--peer-port 0: out of range/],
    [['--local-port', 'x'], /--local-port "x": not a whole number/],
    [['--router-id', '2001:db8::1'], /--router-id 2001:db8::1: must be an IPv4 address/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('refuses %j with one line', (extra, re) => {
    expect(usage(() => bgp(...extra))).toMatch(re);
  });
  it.each(['local-address', 'local-asn', 'peer-address', 'peer-asn'])('requires --%s', (flag) => {
    const argv = [...BASE];
    const i = argv.indexOf(`--${flag}`);
    argv.splice(i, 2);
    expect(usage(() => parseBgpAnnounce(argv))).toBe(`--${flag} is required`);
  });
  it('refuses ASN 0 and above 2^32-1', () => {
    expect(usage(() => parseBgpAnnounce(BASE.map((x) => (x === '64513' ? '0' : x))))).toMatch(/--peer-asn 0: out of range/);
    expect(usage(() => parseBgpAnnounce(BASE.map((x) => (x === '64513' ? '4294967296' : x))))).toMatch(/out of range/);
    expect(bgp().peerAsn).toBe(64513);
    expect((parseBgpAnnounce(BASE.map((x) => (x === '64513' ? '4294967295' : x))) as BgpAnnounceArgs).peerAsn).toBe(4294967295);
  });
  it('needs --router-id with IPv6 transport, and the same family on both ends', () => {
    const v6 = ['--local-address', '::1', '--local-asn', '64512', '--peer-address', '::1', '--peer-asn', '64513'];
    expect(usage(() => parseBgpAnnounce(v6))).toBe('--router-id is required when --local-address is IPv6');
    expect((parseBgpAnnounce([...v6, '--router-id', '198.51.100.9']) as BgpAnnounceArgs).routerId.toString()).toBe('198.51.100.9');
    expect(usage(() => parseBgpAnnounce(BASE.map((x) => (x === '127.0.40.2' ? '::1' : x))))).toMatch(/same family/);
  });
  it('--help wins over everything else', () => {
    const h = parseBgpAnnounce(['--bogus', '--help']);
    expect(h).toBeInstanceOf(HelpRequest);
    expect((h as HelpRequest).text).toMatch(/--peer-asn N/);
  });
});

describe('bgp announce stdin lines', () => {
  it('parses add and withdraw', () => {
    const add = parseStdinLine('add 203.0.113.0/24,next-hop=198.51.100.1,local-pref=150');
    expect(add.op).toBe('add');
    if (add.op === 'add') {
      expect(add.route.prefix.toString()).toBe('203.0.113.0/24');
      expect(add.route.localPref).toBe(150);
    }
    const w = parseStdinLine('  withdraw   2001:db8::/32  ');
    expect(w.op).toBe('withdraw');
    if (w.op === 'withdraw') expect(w.prefix.toString()).toBe('2001:db8::/32');
  });
  it('ignores blank lines and comments', () => {
    expect(parseStdinLine('')).toEqual({ op: 'none' });
    expect(parseStdinLine('   ')).toEqual({ op: 'none' });
    expect(parseStdinLine('# a comment')).toEqual({ op: 'none' });
  });
  it.each([
    ['add', /expected "add CIDR/],
    ['withdraw', /expected "withdraw CIDR"/],
    ['withdraw 203.0.113.0/33', /withdraw 203\.0\.113\.0\/33/],
    ['withdraw 203.0.113.1/24', /withdraw 203\.0\.113\.1\/24/],
    ['add 203.0.113.0/24', /next-hop=IP is required/],
    ['remove 203.0.113.0/24', /unknown command "remove"/],
  ])('refuses %j', (line, re) => {
    expect(usage(() => parseStdinLine(line))).toMatch(re);
  });
});

describe('l2 respond arguments', () => {
  it('parses interfaces, repeated IPs of both families and --gratuitous', () => {
    const a = parseL2Respond(['--interface', 'veth0', '--ip', '198.51.100.10', '--ip', '2001:db8::10', '--gratuitous']);
    expect(a).toMatchObject({ interface: 'veth0', gratuitous: true });
    if (!(a instanceof HelpRequest)) expect(a.ips.map(String)).toEqual(['198.51.100.10', '2001:db8::10']);
    expect(parseL2Respond(['--interface', 'eth0', '--ip', '198.51.100.1'])).toMatchObject({ gratuitous: false });
  });
  it.each([
    [['--ip', '198.51.100.1'], '--interface is required'],
    [['--interface', 'eth0'], '--ip is required (repeat it for several addresses)'],
    [['--interface', 'eth0', '--ip', '198.51.100.300'], /--ip "198\.51\.100\.300"/],
    [['--interface', 'a-very-long-interface-name', '--ip', '198.51.100.1'], /not an interface name/],
  ])('refuses %j', (argv, want) => {
    const m = usage(() => parseL2Respond(argv));
    if (typeof want === 'string') expect(m).toBe(want);
    else expect(m).toMatch(want);
  });
});

describe('memberlist agent arguments', () => {
  it('parses the contract', () => {
    const a = parseMemberlistAgent(['--name', 'n1', '--bind', '127.0.40.5:7946', '--advertise', '127.0.40.5:7946', '--join', '127.0.40.6:7946', '--join', '127.0.40.7:7946,127.0.40.8', '--secret-key-path', '/tmp/k', '--preset', 'fast', '--meta', 'rack=1']);
    expect(a).toEqual({ name: 'n1', bind: '127.0.40.5:7946', advertise: '127.0.40.5:7946', join: ['127.0.40.6:7946', '127.0.40.7:7946', '127.0.40.8'], secretKeyPath: '/tmp/k', preset: 'fast', meta: 'rack=1' });
    expect(parseMemberlistAgent(['--name', 'n', '--bind', '[::1]:0'])).toEqual({ name: 'n', bind: '[::1]:0', join: [], preset: 'lan' });
  });
  it.each([
    [['--bind', '127.0.40.5:7946'], /--name is required/],
    [['--name', 'n'], /--bind is required/],
    [['--name', 'n', '--bind', '127.0.40.5'], /expected ADDR:PORT/],
    [['--name', 'n', '--bind', '127.0.40.5:99999'], /out of range/],
    [['--name', 'n', '--bind', '127.0.40.5:1', '--preset', 'wan2'], /--preset "wan2": expected lan, balanced or fast/],
    [['--name', 'n', '--bind', '127.0.40.5:1', '--join', 'nohost:1'], /--join "nohost:1"/],
    [['--name', 'n', '--bind', '127.0.40.5:1', '--meta', 'x'.repeat(513)], /at most 512 bytes/],
  ])('refuses %j', (argv, re) => {
    expect(usage(() => parseMemberlistAgent(argv))).toMatch(re);
  });
});

describe('election order arguments', () => {
  it('parses nodes and scores', () => {
    expect(parseElectionOrder(['--ip', '198.51.100.10', '--nodes', 'a,b', '--nodes', 'c', '--scores', 'a=100,b=-5'])).toEqual({ ip: '198.51.100.10', nodes: ['a', 'b', 'c'], scores: { a: 100, b: -5 }, explain: false });
  });
  it.each([
    [['--nodes', 'a'], /--ip is required/],
    [['--ip', '198.51.100.10'], /--nodes is required/],
    [['--ip', '198.51.100.10', '--nodes', 'a,,b'], /empty node name/],
    [['--ip', '198.51.100.10', '--nodes', 'a', '--scores', 'a'], /expected NODE=SCORE/],
    [['--ip', '198.51.100.10', '--nodes', 'a', '--scores', 'a=1.5'], /must be an integer/],
    [['--ip', '198.51.100.10', '--nodes', 'a', '--scores', 'a=1,a=2'], /a given twice/],
  ])('refuses %j', (argv, re) => {
    expect(usage(() => parseElectionOrder(argv))).toMatch(re);
  });
});

describe('small parsers', () => {
  it('intFlag', () => {
    expect(intFlag('x', '0', 0, 1)).toBe(0);
    expect(usage(() => intFlag('x', '-1', 0, 1))).toMatch(/not a whole number/);
    expect(usage(() => intFlag('x', '1e3', 0, 5000))).toMatch(/not a whole number/);
  });
  it('hostPortFlag handles IPv4, bracketed IPv6 and default ports', () => {
    expect(hostPortFlag('b', '127.0.40.1:80')).toMatchObject({ port: 80 });
    expect(hostPortFlag('b', '[2001:db8::1]:7946').ip.toString()).toBe('2001:db8::1');
    expect(hostPortFlag('b', '2001:db8::1', 7946)).toMatchObject({ port: 7946 });
    expect(hostPortFlag('b', '127.0.40.1', 7946)).toMatchObject({ port: 7946 });
    expect(usage(() => hostPortFlag('b', '[2001:db8::1]'))).toMatch(/expected ADDR:PORT/);
  });
});

describe('bgp announce: the MD5 password without the command line (issue 15 §6)', () => {
  /** An environment and a file system of a few files (no I/O). */
  const ctx = (env: Record<string, string> = {}, files: Record<string, string> = {}): ArgsEnv => ({
    env,
    readFile: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: p.endsWith('/') ? 'EISDIR' : 'ENOENT' });
    },
  });
  const parse = (extra: string[], c: ArgsEnv) => parseBgpAnnounce([...BASE, ...extra], c) as BgpAnnounceArgs;
  const usageOf = (extra: string[], c: ArgsEnv) => usage(() => parseBgpAnnounce([...BASE, ...extra], c));

  it('reads --password-file, stripping one trailing newline', () => {
    expect(parse(['--password-file', '/run/secrets/md5'], ctx({}, { '/run/secrets/md5': 's3cret\n' })).password).toBe('s3cret');
    expect(parse(['--password-file', '/k'], ctx({}, { '/k': 'with space \r\n' })).password).toBe('with space ');
  });
  it('falls back to $METALLB_TS_BGP_PASSWORD; flags win over it; empty means unset', () => {
    expect(parse([], ctx({ METALLB_TS_BGP_PASSWORD: 'fromenv' })).password).toBe('fromenv');
    expect(parse(['--password', 'flag'], ctx({ METALLB_TS_BGP_PASSWORD: 'fromenv' })).password).toBe('flag');
    expect(parse(['--password-file', '/k'], ctx({ METALLB_TS_BGP_PASSWORD: 'fromenv' }, { '/k': 'file' })).password).toBe('file');
    expect(parse([], ctx({ METALLB_TS_BGP_PASSWORD: '' })).password).toBeUndefined();
    expect(parse([], ctx()).password).toBeUndefined();
  });
  it.each<[string[], Record<string, string>, Record<string, string>, string]>([
    [['--password', 'a', '--password-file', '/k'], {}, { '/k': 'b' }, '--password and --password-file are mutually exclusive'],
    [['--password-file', '/nope'], {}, {}, '--password-file /nope: no such file'],
    [['--password-file', '/etc/'], {}, {}, '--password-file /etc/: is a directory'],
    [['--password-file', '/k'], {}, { '/k': '' }, '--password-file /k: 1–80 characters (TCP MD5 key), got 0'],
    [['--password-file', '/k'], {}, { '/k': '\n' }, '--password-file /k: 1–80 characters (TCP MD5 key), got 0'],
    [['--password-file', '/k'], {}, { '/k': 'x'.repeat(81) }, '--password-file /k: 1–80 characters (TCP MD5 key), got 81'],
    [[], { METALLB_TS_BGP_PASSWORD: 'y'.repeat(90) }, {}, '$METALLB_TS_BGP_PASSWORD: 1–80 characters (TCP MD5 key), got 90'],
    [['--password', ''], {}, {}, '--password: 1–80 characters (TCP MD5 key)'],
  ])('%j refused: %s', (extra, env, files, want) => {
    const msg = usageOf(extra, ctx(env, files));
    expect(msg).toBe(want);
    // never echoes the secret
    expect(msg).not.toMatch(/x{81}|y{90}/);
  });
  it('documents both in --help', () => {
    const h = parseBgpAnnounce(['--help']) as HelpRequest;
    expect(h.text).toMatch(/--password-file FILE/);
    expect(h.text).toMatch(/\$METALLB_TS_BGP_PASSWORD/);
  });
});
