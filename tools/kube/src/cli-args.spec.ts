import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';

describe('kube-lab command lines', () => {
  it('up --dir DIR with defaults', () => {
    const a = parseCliArgs(['up', '--dir', '/tmp/x']);
    expect(a).toMatchObject({ ok: true, command: 'up', dir: '/tmp/x', netns: undefined, apiserverPort: undefined, etcdUnsafeNoFsync: false });
  });
  it('--flag=value and --flag value, booleans', () => {
    const a = parseCliArgs(['up', '--dir=/d', '--netns', 'lab-cp', '--address=198.51.100.1', '--port', '6443', '--unsafe-no-fsync']);
    expect(a).toMatchObject({ ok: true, dir: '/d', netns: 'lab-cp', address: '198.51.100.1', apiserverPort: 6443, etcdUnsafeNoFsync: true });
    expect(parseCliArgs(['down', '--dir', '/d', '--purge'])).toMatchObject({ ok: true, command: 'down', purge: true });
  });
  it('says what is wrong', () => {
    expect(parseCliArgs([])).toEqual({ ok: false, error: 'no command given' });
    expect(parseCliArgs(['start'])).toEqual({ ok: false, error: 'unknown command "start"' });
    expect(parseCliArgs(['up'])).toEqual({ ok: false, error: 'up needs --dir DIR' });
    expect(parseCliArgs(['up', '--dir'])).toEqual({ ok: false, error: '--dir needs a value' });
    expect(parseCliArgs(['up', '--dir', 'd', '--port', '0'])).toMatchObject({ ok: false, error: expect.stringMatching(/not a port/) });
    expect(parseCliArgs(['up', '--dir', 'd', '--bogus'])).toMatchObject({ ok: false, error: 'unknown option "--bogus"' });
    expect(parseCliArgs(['down', '--dir', 'd', '--purge=yes'])).toMatchObject({ ok: false });
    expect(parseCliArgs(['kubeconfig', '--dir', 'd', '--namespace', 'n'])).toMatchObject({ ok: false, error: expect.stringMatching(/--service-account/) });
  });
  it('build needs no DIR', () => {
    expect(parseCliArgs(['build'])).toMatchObject({ ok: true, command: 'build', dir: undefined });
  });
  it('build --helm, and helm passes its arguments through verbatim', () => {
    expect(parseCliArgs(['build', '--helm'])).toMatchObject({ ok: true, command: 'build', helm: true });
    expect(parseCliArgs(['build'])).toMatchObject({ ok: true, helm: false });
    expect(parseCliArgs(['helm', 'lint', '--strict', 'deploy/charts/metallb-ts'])).toMatchObject({ ok: true, command: 'helm', helmArgs: ['lint', '--strict', 'deploy/charts/metallb-ts'] });
    expect(parseCliArgs(['helm'])).toMatchObject({ ok: false, error: expect.stringMatching(/helm needs the arguments/) });
    expect(parseCliArgs(['up', '--dir', 'd', '--helm'])).toEqual({ ok: false, error: '--helm belongs to build' });
  });
});
