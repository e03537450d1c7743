import { describe, expect, it } from 'vitest';
import { helmBuildGoMod, helmDir, helmLdflags, helmPath } from './helm.js';
import { HELM_VERSION } from './versions.js';

describe('helm build recipe', () => {
  it('pins helm.sh/helm/v4 at the release in a throw-away module', () => {
    const mod = helmBuildGoMod('v4.3.2');
    expect(mod).toMatch(/^module metallb-ts\.invalid\/helm-build$/m);
    expect(mod).toMatch(/^require helm\.sh\/helm\/v4 v4\.3\.2$/m);
    expect(mod).toMatch(/^go 1\.26\.0$/m);
  });
  it('refuses a version that is not a v4 release', () => {
    expect(() => helmBuildGoMod('v3.17.0')).toThrow(/not a helm\.sh\/helm\/v4 release/);
    expect(() => helmBuildGoMod('4.3.2')).toThrow(/HELM_VERSION/);
  });
  it('stamps the version as a tagged release build (no "+unreleased")', () => {
    const f = helmLdflags('v4.3.2');
    expect(f).toContain('-X helm.sh/helm/v4/internal/version.version=v4.3.2');
    expect(f).toContain('-X helm.sh/helm/v4/internal/version.metadata=');
    expect(f.split(' ').slice(0, 2)).toEqual(['-s', '-w']);
  });
  it('caches under metallb-ts/helm/<version>', () => {
    expect(helmDir()).toMatch(new RegExp(`/metallb-ts/helm/${HELM_VERSION.replace(/\./g, '\\.')}$`));
    expect(helmPath('v4.0.0')).toMatch(/\/metallb-ts\/helm\/v4\.0\.0\/helm$/);
  });
});
