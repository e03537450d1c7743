/**
 * Offline validation of `deploy/`: the CRDs are structurally valid, every example and sample
 * validates against its CRD (ajv + CEL rules), and every invalid sample is rejected with the
 * message in its `metallb-ts.io/expected-error` annotation.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Crd } from './crd/crds.js';
import type { Schema } from './crd/schema-builders.js';
import { compileVersion, kubernetesCelEnvironment, type VersionValidator } from '../test/support/crd-validator.js';
import { schemaAt, structuralProblems } from '../test/support/structural.js';

const DEPLOY = join(import.meta.dirname, '../../../deploy');
const EXPECT = 'metallb-ts.io/expected-error';

function loadDocs(file: string): any[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: any[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

const yamlIn = (dir: string) =>
  readdirSync(join(DEPLOY, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(DEPLOY, dir, f));

const crds: Crd[] = yamlIn('crds').flatMap((f) => loadDocs(f));
const validators = new Map<string, VersionValidator>();
for (const c of crds) {
  for (const v of c.spec.versions) {
    validators.set(`${c.spec.group}/${v.name}/${c.spec.names.kind}`, compileVersion(v.schema.openAPIV3Schema));
  }
}

function validate(obj: any, old?: any): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const v = validators.get(key);
  if (!v) throw new Error(`no CRD serves ${key}`);
  return v(obj, old).map((e) => e.message);
}

describe('deploy/crds', () => {
  it('declares every MetalLB kind', () => {
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual([
      'BFDProfile', 'BGPAdvertisement', 'BGPPeer', 'Community', 'ConfigurationState', 'IPAddressPool',
      'L2Advertisement', 'ServiceBGPStatus', 'ServiceL2Status',
    ]);
  });

  for (const c of crds) {
    describe(c.metadata.name, () => {
      it('is named <plural>.<group>, namespaced, with exactly one storage version', () => {
        expect(c.metadata.name).toBe(`${c.spec.names.plural}.metallb.io`);
        expect(c.spec.scope).toBe('Namespaced');
        expect(c.spec.versions.filter((v) => v.storage)).toHaveLength(1);
        expect(c.spec.versions.every((v) => v.served)).toBe(true);
        expect(c.spec.names.shortNames.length).toBeGreaterThan(0);
      });
      for (const v of c.spec.versions) {
        it(`${v.name}: has a structural schema`, () => {
          const s = v.schema.openAPIV3Schema;
          expect(s.type).toBe('object');
          expect(Object.keys(s.properties ?? {}).every((k) => ['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k))).toBe(true);
          expect(s.properties?.metadata).toEqual({ type: 'object' });
          expect(structuralProblems(s)).toEqual([]);
        });
        it(`${v.name}: every CEL rule compiles`, () => {
          const env = kubernetesCelEnvironment();
          const rules: string[] = [];
          const collect = (s: Schema) => {
            for (const r of s['x-kubernetes-validations'] ?? []) rules.push(r.rule);
            Object.values(s.properties ?? {}).forEach(collect);
            if (s.items) collect(s.items);
            if (s.additionalProperties) collect(s.additionalProperties);
          };
          collect(v.schema.openAPIV3Schema);
          for (const r of rules) expect(() => env.parse(r), r).not.toThrow();
        });
        it(`${v.name}: has a status subresource and printer columns that point at schema fields`, () => {
          expect(v.subresources.status).toEqual({});
          for (const col of v.additionalPrinterColumns) {
            const target = schemaAt(v.schema.openAPIV3Schema, col.jsonPath);
            expect(target, `${col.name} → ${col.jsonPath}`).toBeDefined();
          }
        });
      }
    });
  }

  it('BGPPeer serves v1beta1 (deprecated) and v1beta2 (storage), converting with strategy None', () => {
    const peer = crds.find((c) => c.spec.names.kind === 'BGPPeer')!;
    expect(peer.spec.versions.map((v) => [v.name, v.storage, v.deprecated ?? false])).toEqual([
      ['v1beta1', false, true],
      ['v1beta2', true, false],
    ]);
    expect(peer.spec.conversion).toEqual({ strategy: 'None' });
    // Strategy None is only faithful if every v1beta1 field exists in v1beta2 with the same type.
    const [v1, v2] = peer.spec.versions.map((v) => v.schema.openAPIV3Schema.properties!.spec!.properties!);
    for (const [k, s] of Object.entries(v1!)) {
      expect(v2![k], k).toBeDefined();
      expect(v2![k]!.type, k).toBe(s.type);
    }
  });

  it('IPAddressPool columns answer the first questions (addresses, auto-assign, counts)', () => {
    const pool = crds.find((c) => c.spec.names.kind === 'IPAddressPool')!;
    const names = pool.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['Addresses', 'Auto Assign', 'Assigned IPv4', 'Available IPv4', 'Assigned IPv6', 'Available IPv6']));
    const l2 = crds.find((c) => c.spec.names.kind === 'ServiceL2Status')!;
    expect(l2.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name)).toEqual(
      expect.arrayContaining(['Allocated Node', 'Service Name', 'Interfaces']),
    );
  });

  it('applies MetalLB defaults (autoAssign, aggregation lengths, peerPort)', () => {
    const get = (kind: string, version: string) =>
      crds.find((c) => c.spec.names.kind === kind)!.spec.versions.find((v) => v.name === version)!.schema.openAPIV3Schema.properties!.spec!.properties!;
    expect(get('IPAddressPool', 'v1beta1').autoAssign!.default).toBe(true);
    expect(get('IPAddressPool', 'v1beta1').avoidBuggyIPs!.default).toBe(false);
    expect(get('BGPAdvertisement', 'v1beta1').aggregationLength!.default).toBe(32);
    expect(get('BGPAdvertisement', 'v1beta1').aggregationLengthV6!.default).toBe(128);
    expect(get('BGPPeer', 'v1beta2').peerPort!.default).toBe(179);
  });
});

describe('deploy/examples (valid)', () => {
  const files = [...yamlIn('examples'), ...yamlIn('examples/samples')];
  it('has the seed guide fixtures', () => {
    const names = files.map((f) => f.slice(DEPLOY.length + 1));
    expect(names).toEqual(expect.arrayContaining(['examples/ipaddresspool.yaml', 'examples/l2advertisement.yaml', 'examples/bgp.yaml']));
  });
  for (const f of files) {
    for (const obj of loadDocs(f)) {
      it(`${f.slice(DEPLOY.length + 1)}: ${obj.kind}/${obj.metadata?.name} validates against its CRD`, () => {
        if (!String(obj.apiVersion).startsWith('metallb.io/')) {
          expect(['v1/Secret', 'v1/Namespace', 'v1/Node', 'v1/ConfigMap']).toContain(`${obj.apiVersion}/${obj.kind}`);
          return;
        }
        expect(validate(obj)).toEqual([]);
      });
    }
  }
});

describe('deploy/examples/invalid', () => {
  for (const f of yamlIn('examples/invalid')) {
    for (const obj of loadDocs(f)) {
      const expected: string | undefined = obj.metadata?.annotations?.[EXPECT];
      it(`${f.slice(DEPLOY.length + 1)}: ${obj.kind}/${obj.metadata?.name} is rejected with "${expected}"`, () => {
        expect(expected, 'every invalid sample names its expected error').toBeTypeOf('string');
        const errors = validate(obj);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.join('\n')).toContain(expected);
      });
    }
  }
});

describe('transition rules (oldSelf)', () => {
  const peer = { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'p' }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '198.51.100.1', enableGracefulRestart: false } };
  it('BGPPeer.spec.enableGracefulRestart cannot change', () => {
    const changed = { ...peer, spec: { ...peer.spec, enableGracefulRestart: true } };
    expect(validate(changed)).toEqual([]);
    expect(validate(changed, peer).join('\n')).toContain('spec.enableGracefulRestart: Invalid value: "boolean": enableGracefulRestart is immutable');
    expect(validate(peer, peer)).toEqual([]);
  });
  it('ServiceL2Status.status.node, serviceName and serviceNamespace cannot change', () => {
    const s = { apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status', metadata: { name: 'x' }, status: { node: 'a', serviceName: 's', serviceNamespace: 'ns' } };
    const moved = { ...s, status: { node: 'b', serviceName: 't', serviceNamespace: 'ns2' } };
    const errs = validate(moved, s).join('\n');
    expect(errs).toContain('status.node: Invalid value: "string": node is immutable');
    expect(errs).toContain('status.serviceName: Invalid value: "string": serviceName is immutable');
    expect(errs).toContain('status.serviceNamespace: Invalid value: "string": serviceNamespace is immutable');
    expect(validate(s, s)).toEqual([]);
  });
  it('ServiceBGPStatus.status.node cannot change', () => {
    const s = { apiVersion: 'metallb.io/v1beta1', kind: 'ServiceBGPStatus', metadata: { name: 'x' }, status: { node: 'a', peers: ['p'] } };
    expect(validate({ ...s, status: { node: 'b' } }, s).join('\n')).toContain('status.node: Invalid value: "string": node is immutable');
  });
});

describe('deploy/README.md lists every Kubernetes-specific CEL function the CRDs use', () => {
  const STANDARD = new Set(['has', 'all', 'exists', 'exists_one', 'map', 'filter', 'size', 'matches', 'contains', 'startsWith', 'endsWith', 'int', 'uint', 'string', 'duration', 'getSeconds', 'getMilliseconds']);
  const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### CEL functions used'));
  const used = new Set<string>();
  const collect = (s: Schema) => {
    for (const r of s['x-kubernetes-validations'] ?? []) {
      // Drop string literals (regexes), then take every identifier followed by "(".
      const code = r.rule.replace(/'(?:[^'\\]|\\.)*'/g, "''");
      for (const m of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) used.add(m[1]!);
    }
    Object.values(s.properties ?? {}).forEach(collect);
    if (s.items) collect(s.items);
    if (s.additionalProperties) collect(s.additionalProperties);
  };
  for (const c of crds) for (const v of c.spec.versions) collect(v.schema.openAPIV3Schema);
  const extensions = [...used].filter((f) => !STANDARD.has(f)).sort();
  it('uses exactly isCIDR, isIP, ip, family, split and trim beyond standard CEL', () => {
    expect(extensions).toEqual(['family', 'ip', 'isCIDR', 'isIP', 'split', 'trim']);
  });
  for (const f of extensions) {
    it(`${f} is in the table`, () => {
      expect(section).toMatch(new RegExp(`\`(<[^>]+>\\.)?${f}\\(`));
    });
  }
});
