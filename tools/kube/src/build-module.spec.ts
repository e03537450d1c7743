import { describe, expect, it } from 'vitest';
import { buildModuleGoMod, godebugLines, goDirective, kubernetesLdflags, otherReplaces, stagingModules } from './build-module.js';
import { ETCD_VERSION, KUBERNETES_VERSION, stagingVersion } from './versions.js';

const goMod = `// generated
module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	github.com/blang/semver/v4 v4.0.0
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go // comment
	github.com/example/x v1.0.0 => github.com/example/y v1.2.3
)

replace k8s.io/kms => ./staging/src/k8s.io/kms
`;

describe('versions', () => {
  it('pins one k8s.io/kubernetes release and one etcd release', () => {
    expect(KUBERNETES_VERSION).toMatch(/^v1\.\d+\.\d+$/);
    expect(ETCD_VERSION).toMatch(/^v3\.\d+\.\d+$/);
  });
  it('maps v1.x.y to the staging modules\' v0.x.y', () => {
    expect(stagingVersion('v1.37.2')).toBe('v0.37.2');
    expect(stagingVersion('v1.36.0-rc.1')).toBe('v0.36.0-rc.1');
    expect(() => stagingVersion('v2.0.0')).toThrow(/KUBERNETES_VERSION/);
    expect(() => stagingVersion('1.37.2')).toThrow();
  });
});

describe('build module generation', () => {
  it('finds the staging replaces in blocks and single lines, ignoring comments', () => {
    expect(stagingModules(goMod)).toEqual([
      { path: 'k8s.io/api', dir: './staging/src/k8s.io/api' },
      { path: 'k8s.io/client-go', dir: './staging/src/k8s.io/client-go' },
      { path: 'k8s.io/kms', dir: './staging/src/k8s.io/kms' },
    ]);
    expect(otherReplaces(goMod)).toEqual(['github.com/example/x => github.com/example/y v1.2.3']);
  });
  it('copies the go and godebug directives', () => {
    expect(goDirective(goMod)).toBe('1.26.0');
    expect(godebugLines(goMod)).toEqual(['godebug default=go1.26']);
  });
  it('requires k8s.io/kubernetes and replaces every staging module with its v0 release', () => {
    const out = buildModuleGoMod({ kubernetesVersion: 'v1.37.2', kubernetesGoMod: goMod });
    expect(out).toContain('module metallb-ts.invalid/kube-build');
    expect(out).toContain('\ngo 1.26.0\n');
    expect(out).toContain('godebug default=go1.26');
    expect(out).toContain('require k8s.io/kubernetes v1.37.2');
    for (const m of ['k8s.io/api', 'k8s.io/client-go', 'k8s.io/kms']) expect(out).toContain(`\t${m} => ${m} v0.37.2\n`);
    expect(out).toContain('\tgithub.com/example/x => github.com/example/y v1.2.3\n');
    expect(out).not.toContain('./staging');
  });
  it('refuses a go.mod without staging replaces', () => {
    expect(() => buildModuleGoMod({ kubernetesVersion: 'v1.37.2', kubernetesGoMod: 'module x\n\ngo 1.26\n' })).toThrow(/staging/);
  });
  it('stamps the version into component-base and client-go, stripped', () => {
    const f = kubernetesLdflags('v1.37.2', '2026-01-01T00:00:00Z');
    expect(f.startsWith('-s -w ')).toBe(true);
    expect(f).toContain('-X k8s.io/component-base/version.gitVersion=v1.37.2');
    expect(f).toContain('-X k8s.io/component-base/version.gitMinor=37');
    expect(f).toContain('-X k8s.io/client-go/pkg/version.gitMajor=1');
  });
});
