import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args.js';

describe('parseArgs', () => {
  it('defaults to the demo on apiserver-lite with 3 nodes and prefix mtl', () => {
    expect(parseArgs([])).toEqual({ command: 'demo', nodes: 3, kube: 'lite', prefix: 'mtl', detach: false, keep: false });
  });

  it('reads the contract flags in both spellings', () => {
    expect(parseArgs(['up', '--nodes', '5', '--kube=real', '--detach', '--prefix', 'e1'])).toMatchObject({ command: 'up', nodes: 5, kube: 'real', detach: true, prefix: 'e1' });
    expect(parseArgs(['demo', '--keep'])).toMatchObject({ command: 'demo', keep: true });
    for (const c of ['status', 'down', 'kubeconfig']) expect(parseArgs([c]).command).toBe(c);
  });

  it("takes MetalLB's binaries for up only", () => {
    expect(parseArgs(['up', '--metallb-speaker', '/c/speaker', '--metallb-controller=/c/controller'])).toMatchObject({ metallbSpeaker: '/c/speaker', metallbController: '/c/controller' });
    expect(parseArgs(['up'])).not.toHaveProperty('metallbSpeaker');
    expect(() => parseArgs(['demo', '--metallb-speaker', '/c/speaker'])).toThrow(/options of "up"/);
    expect(() => parseArgs(['up', '--metallb-speaker'])).toThrow(/needs a value/);
  });

  it('refuses bad input with a message naming it', () => {
    expect(() => parseArgs(['launch'])).toThrow(/unknown command "launch"/);
    expect(() => parseArgs(['up', '--nodes', 'x'])).toThrow(/--nodes must be 1 to 8, not "x"/);
    expect(() => parseArgs(['up', '--nodes', '9'])).toThrow(UsageError);
    expect(() => parseArgs(['up', '--kube', 'k3s'])).toThrow(/lite or real/);
    expect(() => parseArgs(['up', '--prefix'])).toThrow(/needs a value/);
    expect(() => parseArgs(['up', '--bogus'])).toThrow(/unknown option "--bogus"/);
  });
});
