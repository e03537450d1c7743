import { describe, expect, it } from 'vitest';
import { parseImageArgs } from './cli-args.js';
import {
  APP_IMAGES,
  cacheKey,
  groupFile,
  imageLabels,
  imageRef,
  librariesToCopy,
  MissingLibraryError,
  parseLdd,
  passwdFile,
  umociConfigArgs,
  type BuildMeta,
} from './spec.js';

const meta: BuildMeta = { version: '0.1.0', revision: 'abc123', created: '2026-06-01T12:00:00.000Z', nodeVersion: '24.21.0' };

describe('parseLdd', () => {
  const node = [
    '\tlinux-vdso.so.1 (0x00007ff075afe000)',
    '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007ff075ae8000)',
    '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007ff075800000)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007ff07553e000)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007ff075b00000)',
    '',
  ].join('\n');

  it('reads resolved libraries, the loader by its absolute path, the vDSO without a path', () => {
    expect(parseLdd('node', node)).toEqual([
      { name: 'linux-vdso.so.1', path: undefined },
      { name: 'libdl.so.2', path: '/lib/x86_64-linux-gnu/libdl.so.2' },
      { name: 'libstdc++.so.6', path: '/lib/x86_64-linux-gnu/libstdc++.so.6' },
      { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' },
      { name: 'ld-linux-x86-64.so.2', path: '/lib64/ld-linux-x86-64.so.2' },
    ]);
  });

  it('a statically linked binary needs nothing', () => {
    expect(parseLdd('etcd', '\tstatically linked\n')).toEqual([]);
  });

  it('a missing library is an error naming the binary and the library', () => {
    const text = '\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n';
    expect(() => parseLdd('/app/x.node', text)).toThrow(MissingLibraryError);
    expect(() => parseLdd('/app/x.node', text)).toThrow('/app/x.node needs libfoo.so.1');
  });

  it('librariesToCopy: each path once over node and the addons, sorted, no vDSO', () => {
    const addon = '\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x1)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n';
    expect(librariesToCopy([parseLdd('node', node), parseLdd('addon', addon)])).toEqual([
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libgcc_s.so.1',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });
});

describe('image config', () => {
  it('controller: nonroot 65532, node running /app/main.mjs, its ports', () => {
    const args = umociConfigArgs(APP_IMAGES.controller, meta);
    expect(args).toContain('--config.user=65532:65532');
    expect(args.filter((a) => a.startsWith('--config.entrypoint='))).toEqual(['--config.entrypoint=/usr/local/bin/node', '--config.entrypoint=/app/main.mjs']);
    expect(args.filter((a) => a.startsWith('--config.exposedports='))).toEqual(['--config.exposedports=7472/tcp', '--config.exposedports=9120/tcp']);
    expect(args).toContain('--created=2026-06-01T12:00:00.000Z');
  });

  it('speaker: root (MetalLB: capabilities come from the pod), memberlist ports, its addons in the image', () => {
    const args = umociConfigArgs(APP_IMAGES.speaker, meta);
    expect(args).toContain('--config.user=0:0');
    expect(args).toContain('--config.exposedports=7946/udp');
    expect(APP_IMAGES.speaker.files).toEqual(['main.mjs', 'arp_responder.node', 'tcp_md5.node']);
    expect(APP_IMAGES.speaker.description).toMatch(/CAP_NET_RAW/);
  });

  it('labels are org.opencontainers.image.* (revision only when known)', () => {
    const l = imageLabels(APP_IMAGES.controller, meta);
    expect(l).toMatchObject({
      'org.opencontainers.image.title': 'metallb-ts controller',
      'org.opencontainers.image.version': '0.1.0',
      'org.opencontainers.image.revision': 'abc123',
      'org.opencontainers.image.created': '2026-06-01T12:00:00.000Z',
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    expect(Object.keys(imageLabels(APP_IMAGES.speaker, { ...meta, revision: undefined }))).not.toContain('org.opencontainers.image.revision');
    const labelArgs = umociConfigArgs(APP_IMAGES.speaker, meta).filter((a) => a.startsWith('--config.label='));
    expect(labelArgs).toHaveLength(Object.keys(imageLabels(APP_IMAGES.speaker, meta)).length);
    expect(labelArgs.every((a) => /^--config\.label=(org\.opencontainers\.image\.[a-z.]+|io\.metallb-ts\.[a-z.]+)=/.test(a))).toBe(true);
    expect(imageRef('speaker', '0.1.0')).toBe('metallb-ts/speaker:0.1.0');
  });

  it('/etc/passwd and /etc/group know root and nonroot (65532)', () => {
    expect(passwdFile().split('\n').filter(Boolean).map((l) => l.split(':').slice(0, 4).join(':'))).toEqual(['root:x:0:0', 'nonroot:x:65532:65532']);
    expect(groupFile()).toBe('root:x:0:\nnonroot:x:65532:\n');
  });
});

describe('cacheKey', () => {
  const inputs = [
    { name: '755 /usr/local/bin/node', value: 'aa' },
    { name: '644 /app/main.mjs', value: 'bb' },
  ];
  it('depends on content, not on the order inputs are listed', () => {
    expect(cacheKey('controller', inputs)).toBe(cacheKey('controller', [...inputs].reverse()));
    expect(cacheKey('controller', inputs)).toMatch(/^[0-9a-f]{32}$/);
  });
  it('changes with any byte of any input, a mode, the app', () => {
    const k = cacheKey('controller', inputs);
    expect(cacheKey('controller', [inputs[0]!, { ...inputs[1]!, value: 'bc' }])).not.toBe(k);
    expect(cacheKey('controller', [inputs[0]!, { ...inputs[1]!, name: '755 /app/main.mjs' }])).not.toBe(k);
    expect(cacheKey('speaker', inputs)).not.toBe(k);
    expect(cacheKey('controller', inputs.slice(1))).not.toBe(k);
  });
});

describe('parseImageArgs', () => {
  it.each([
    [[], { ok: true, command: 'help' }],
    [['--help'], { ok: true, command: 'help' }],
    [['list'], { ok: true, command: 'list' }],
    [['build'], { ok: true, command: 'build', apps: ['controller', 'speaker'], bundle: true, dockerArchive: false, out: undefined }],
    [['build', 'all'], { ok: true, command: 'build', apps: ['controller', 'speaker'], bundle: true, dockerArchive: false, out: undefined }],
    [['build', 'speaker', '--no-bundle', '--docker-archive', '--out', 'dist/images'], { ok: true, command: 'build', apps: ['speaker'], bundle: false, dockerArchive: true, out: 'dist/images' }],
    [['build', '--out=x', 'controller'], { ok: true, command: 'build', apps: ['controller'], bundle: true, dockerArchive: false, out: 'x' }],
  ] as const)('%j', (argv, want) => {
    expect(parseImageArgs(argv)).toEqual(want);
  });

  it.each([
    [['push'], 'unknown command "push"'],
    [['build', 'cli'], 'unknown app "cli"'],
    [['build', 'controller', 'speaker'], 'one app or "all"'],
    [['build', '--out'], '--out needs a directory'],
    [['build', '--out', '--no-bundle'], '--out needs a directory'],
    [['build', '--fast'], 'unknown flag --fast'],
    [['list', 'x'], 'list takes no arguments'],
  ])('%j → %s', (argv, msg) => {
    const r = parseImageArgs(argv);
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toContain(msg);
  });
});
