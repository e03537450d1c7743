import { describe, expect, it } from 'vitest';
import { ociRuntime, runtimeConfig, type RuntimeConfig } from './run.js';

// The shape `umoci unpack` writes (trimmed).
const unpacked = (): RuntimeConfig => ({
  ociVersion: '1.0.0',
  process: {
    terminal: true,
    user: { uid: 65532, gid: 65532 },
    args: ['/usr/local/bin/node', '/app/main.mjs'],
    env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'TERM=xterm'],
    cwd: '/app',
    capabilities: { bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], effective: ['CAP_KILL'] },
  },
  root: { path: 'rootfs' },
  mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
  linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }] },
});

describe('runtimeConfig', () => {
  it('appends app arguments, joins the network namespace, drops every capability, read-only root, no terminal', () => {
    const before = unpacked();
    const c = runtimeConfig(before, { appArgs: ['--port=7472'], netnsPath: '/run/netns/lab', capabilities: [] });
    expect(c.process.args).toEqual(['/usr/local/bin/node', '/app/main.mjs', '--port=7472']);
    expect(c.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'network', path: '/run/netns/lab' }, { type: 'mount' }]);
    expect(c.process.capabilities).toEqual({ bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] });
    expect(c.root.readonly).toBe(true);
    expect(c.process.terminal).toBe(false);
    expect(c.process.noNewPrivileges).toBe(true);
    expect(before).toEqual(unpacked()); // not changed in place
  });

  it('keeps only the capabilities given (the speaker: NET_RAW), replaces args, adds read-only binds and env', () => {
    const c = runtimeConfig(unpacked(), {
      args: ['/usr/local/bin/node', '-e', 'x'],
      capabilities: ['CAP_NET_RAW'],
      binds: [{ source: '/tmp/kc', destination: '/etc/metallb-ts' }],
      env: { TERM: 'dumb', METALLB_NODE_NAME: 'n1' },
      readonlyRoot: false,
      hostname: 'speaker-n1',
    });
    expect(c.process.args).toEqual(['/usr/local/bin/node', '-e', 'x']);
    expect(Object.values(c.process.capabilities!)).toEqual([['CAP_NET_RAW'], ['CAP_NET_RAW'], ['CAP_NET_RAW'], ['CAP_NET_RAW'], ['CAP_NET_RAW']]);
    expect(c.mounts.at(-1)).toEqual({ destination: '/etc/metallb-ts', type: 'bind', source: '/tmp/kc', options: ['rbind', 'ro', 'nosuid', 'nodev'] });
    expect(c.process.env).toEqual(['PATH=/usr/local/bin:/usr/bin:/bin', 'TERM=dumb', 'METALLB_NODE_NAME=n1']);
    expect(c.root.readonly).toBe(false);
    expect(c.hostname).toBe('speaker-n1');
    expect(c.linux.namespaces).toEqual(unpacked().linux.namespaces);
  });

  it('without capabilities given, the unpacked sets stay', () => {
    expect(runtimeConfig(unpacked(), {}).process.capabilities).toEqual(unpacked().process.capabilities);
  });
});

describe('ociRuntime', () => {
  it('an explicit runtime that is not installed means none', () => {
    expect(ociRuntime({ METALLB_TS_OCI_RUNTIME: 'no-such-runtime-here' })).toBeUndefined();
  });
});
