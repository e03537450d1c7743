import { describe, expect, it } from 'vitest';
import { buildGoMod, cacheKey, controllerArgs, METALLB_VERSION, metallbLdflags, speakerArgs, toolsGo } from './index.js';

describe('metallb-peer', () => {
  it('pins one MetalLB release, used by the generated module', () => {
    expect(METALLB_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(buildGoMod()).toContain(`require go.universe.tf/metallb ${METALLB_VERSION}\n`);
    expect(metallbLdflags()).toContain(`internal/version.version=${METALLB_VERSION.slice(1)}`);
  });

  it('refuses a version that is not a release', () => {
    expect(() => buildGoMod('latest')).toThrow(/not a MetalLB release/);
  });

  it('imports both commands in tools.go behind the tools build tag', () => {
    const t = toolsGo();
    expect(t.startsWith('//go:build tools\n')).toBe(true);
    expect(t).toContain('_ "go.universe.tf/metallb/controller"');
    expect(t).toContain('_ "go.universe.tf/metallb/speaker"');
  });

  it('keys the cache by version and Go version', () => {
    const a = cacheKey('v0.15.2', 'go version go1.26.0 linux/amd64');
    expect(a).toMatch(/^v0\.15\.2-[0-9a-f]{12}$/);
    expect(cacheKey('v0.15.2', 'go version go1.26.1 linux/amd64')).not.toBe(a);
    expect(cacheKey('v0.15.1', 'go version go1.26.0 linux/amd64')).not.toBe(a);
    expect(cacheKey('v0.15.2', 'go version go1.26.0 linux/amd64')).toBe(a);
  });

  it('runs the controller without webhooks or certificate rotation', () => {
    expect(controllerArgs({ port: 1234 })).toEqual(['--namespace=metallb-system', '--port=1234', '--log-level=debug', '--webhook-mode=disabled', '--disable-cert-rotation']);
    expect(controllerArgs({ port: 1, namespace: 'x', lbClass: 'c', extraArgs: ['--enable-pprof'] })).toEqual(['--namespace=x', '--port=1', '--log-level=debug', '--webhook-mode=disabled', '--disable-cert-rotation', '--lb-class=c', '--enable-pprof']);
  });

  it('gives the speaker its node, pod and memberlist only when asked', () => {
    expect(speakerArgs({ port: 7, nodeName: 'n1' })).toEqual(['--namespace=metallb-system', '--port=7', '--log-level=debug', '--node-name=n1', '--pod-name=speaker-n1']);
    expect(speakerArgs({ port: 7, nodeName: 'n1', mlBindAddr: '198.51.100.2', host: '198.51.100.2' })).toContain('--ml-bindport=7946');
    expect(() => speakerArgs({ port: 7, nodeName: '' })).toThrow(/nodeName/);
  });
});
