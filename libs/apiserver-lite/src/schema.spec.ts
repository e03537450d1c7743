import { describe, expect, it } from 'vitest';
import { compileRule } from './cel.js';
import { applyDefaults, prune, validate, type Schema } from './schema.js';

const pool: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['addresses'],
      properties: {
        addresses: { type: 'array', minItems: 1, items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'isCIDR(self)', message: 'must be a CIDR' }] } },
        autoAssign: { type: 'boolean', default: true },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        mode: { type: 'string', enum: ['layer2', 'bgp'] },
        name: { type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' },
        tags: { type: 'array', maxItems: 2, 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        opaque: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        ios: { 'x-kubernetes-int-or-string': true },
        immutable: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'is immutable' }] },
      },
      'x-kubernetes-validations': [
        { rule: "!has(self.mode) || self.mode != 'bgp' || has(self.port)", message: 'bgp needs a port', fieldPath: '.port', reason: 'FieldValueRequired' },
        { rule: 'size(self.addresses) < 4', messageExpression: "'too many addresses: ' + string(size(self.addresses))" },
      ],
    },
  },
};

/** What kube-apiserver adds when a blocking error kept the CEL rules from running. */
const SKIPPED = '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

const msgs = (v: unknown, old?: unknown) => validate(v, pool, '', { old, reportSkippedRules: true }).map((c) => `${c.field}: ${c.message}`);

describe('structural schema validation', () => {
  it('accepts a valid object', () => {
    expect(msgs({ spec: { addresses: ['198.51.100.0/24'], port: 179, mode: 'bgp', ios: 'x', labels: { a: 'b' } } })).toEqual([]);
  });
  it.each<[unknown, string[]]>([
    [{ spec: {} }, ['spec.addresses: Required value', SKIPPED]],
    [{ spec: { addresses: [] } }, ['spec.addresses: Invalid value: 0: spec.addresses in body should have at least 1 items']],
    // A wrong type blocks every CEL rule (the CIDR rule does not run), as in kube-apiserver.
    [{ spec: { addresses: ['x'], autoAssign: 'yes' } }, ['spec.autoAssign: Invalid value: "string": spec.autoAssign in body must be of type boolean: "string"', SKIPPED]],
    [{ spec: { addresses: ['x'], port: 0 } }, ['spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1', 'spec.addresses[0]: Invalid value: "string": must be a CIDR']],
    [{ spec: { addresses: ['10.0.0.0/8'], port: 70000 } }, ['spec.port: Invalid value: 70000: spec.port in body should be less than or equal to 65535']],
    [{ spec: { addresses: ['10.0.0.0/8'], port: 0 } }, ['spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1']],
    [{ spec: { addresses: ['10.0.0.0/8'], port: 1.5 } }, ['spec.port: Invalid value: "number": spec.port in body must be of type integer: "number"', SKIPPED]],
    [{ spec: { addresses: ['10.0.0.0/8'], mode: 'ospf' } }, ['spec.mode: Unsupported value: "ospf": supported values: "layer2", "bgp"', SKIPPED]],
    [{ spec: { addresses: ['10.0.0.0/8'], name: 'A' } }, ['spec.name: Invalid value: "A": spec.name in body should be at least 2 chars long', "spec.name: Invalid value: \"A\": spec.name in body should match '^[a-z]+$'"]],
    [{ spec: { addresses: ['10.0.0.0/8'], name: 'abcdef' } }, ['spec.name: Too long: may not be more than 5 bytes', SKIPPED]],
    [{ spec: { addresses: ['10.0.0.0/8'], tags: ['a', 'a'] } }, ['spec.tags[1]: Duplicate value: "a"']],
    [{ spec: { addresses: ['10.0.0.0/8'], tags: ['a', 'b', 'c'] } }, ['spec.tags: Too many: 3: must have at most 2 items', SKIPPED]],
    [{ spec: { addresses: ['10.0.0.0/8'], ios: true } }, ['spec.ios: Invalid value: "boolean": spec.ios in body must be of type integer,string: "boolean"', SKIPPED]],
    [{ spec: { addresses: ['10.0.0.0/8'], mode: 'bgp' } }, ['spec.port: Required value: bgp needs a port']],
    [{ spec: { addresses: ['1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8', '4.0.0.0/8'] } }, ['spec: Invalid value: "object": too many addresses: 4']],
    [{ spec: { addresses: ['10.0.0.0/8'], labels: { a: 1 } } }, ['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"', SKIPPED]],
  ])('%j → %j', (v, want) => {
    expect(msgs(v)).toEqual(want);
  });

  it('without reportSkippedRules a blocking error still stops every rule, but adds no <nil> cause', () => {
    expect(validate({ spec: { addresses: ['x'], mode: 'ospf' } }, pool).map((c) => c.field)).toEqual(['spec.mode']);
    // Non-blocking errors (bounds, patterns) let the rules run, parents before children.
    expect(validate({ spec: { addresses: ['x', '1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8'], port: 0 } }, pool).map((c) => c.field)).toEqual(['spec.port', 'spec', 'spec.addresses[0]']);
  });

  it('runs transition rules only on update', () => {
    const v = { spec: { addresses: ['10.0.0.0/8'], immutable: 'b' } };
    expect(msgs(v)).toEqual([]);
    expect(msgs(v, { spec: { addresses: ['10.0.0.0/8'], immutable: 'a' } })).toEqual(['spec.immutable: Invalid value: "string": is immutable']);
    expect(msgs(v, { spec: { addresses: ['10.0.0.0/8'], immutable: 'b' } })).toEqual([]);
    // No old value at this path: the transition rule does not run.
    expect(msgs(v, { spec: { addresses: ['10.0.0.0/8'] } })).toEqual([]);
  });
});

describe('pruning and defaulting', () => {
  it('drops unknown fields but keeps preserved ones and root metadata', () => {
    const v = { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n' }, spec: { addresses: [], typo: 1, opaque: { anything: [1] }, labels: { a: 'b' } }, extra: true };
    expect(prune(v, pool, true)).toEqual({ apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n' }, spec: { addresses: [], opaque: { anything: [1] }, labels: { a: 'b' } } });
  });
  it('applies defaults without touching set values', () => {
    expect(applyDefaults({ spec: { addresses: [] } }, pool)).toEqual({ spec: { addresses: [], autoAssign: true } });
    expect(applyDefaults({ spec: { autoAssign: false } }, pool)).toEqual({ spec: { autoAssign: false } });
  });
});

describe('Kubernetes CEL library', () => {
  const ev = (rule: string, self: unknown = null) => compileRule(rule).eval({ self });
  it.each<[string, unknown, unknown]>([
    ['isCIDR(self)', '10.20.30.40/24', true],
    ['isCIDR(self)', '10.0.0.1/33', false],
    ['isCIDR(self)', '::ffff:10.0.0.1/128', false],
    ['isCIDR(self)', '2001:db8::/64', true],
    ['isIP(self)', '010.0.0.1', false],
    ['isIP(self)', 'fe80::1%eth0', false],
    ['isIP(self)', '::ffff:198.51.100.1', false],
    ['isIP(self)', '198.51.100.1', true],
    ['ip(self).family()', '2001:db8::1', 6n],
    ['ip(self).family()', '198.51.100.1', 4n],
    ['ip(self).isLoopback()', '127.0.0.2', true],
    ['ip(self).isGlobalUnicast()', '198.51.100.1', true],
    ['ip(self).isLinkLocalUnicast()', 'fe80::1', true],
    ['cidr(self).containsIP("198.51.100.7")', '198.51.100.0/24', true],
    ['cidr(self).containsCIDR("198.51.100.0/25")', '198.51.100.0/24', true],
    ['cidr(self).prefixLength()', '198.51.100.0/24', 24n],
    ['string(cidr(self).masked())', '198.51.100.7/24', '198.51.100.0/24'],
    ['string(cidr(self).ip())', '198.51.100.7/24', '198.51.100.7'],
    ['self.split("-").map(x, x.trim()).all(x, isIP(x))', '10.0.0.1 - 10.0.0.9', true],
    ['self.isSorted()', [1n, 2n, 2n], true],
    ['self.isSorted()', ['b', 'a'], false],
    ['self.sum()', [1n, 2n, 3n], 6n],
    ['self.min()', [3n, 1n], 1n],
    ['self.max()', ['a', 'c', 'b'], 'c'],
    ['self.indexOf(2)', [1n, 2n], 1n],
    ['self.lastIndexOf(5)', [1n, 2n], -1n],
    ['self.find("[0-9]+")', 'abc123def', '123'],
    ['self.findAll("[0-9]")', 'a1b2', ['1', '2']],
    ['self.charAt(1)', 'abc', 'b'],
    ['self.replace("a", "o")', 'banana', 'bonono'],
    ['self.reverse()', 'abc', 'cba'],
    ['isURL(self)', 'https://example.com/x', true],
    ['url(self).getHost()', 'https://example.com:8443/x', 'example.com:8443'],
    ['duration(self).getSeconds()', '90s', 90n],
  ])('%s on %s', (rule, self, want) => {
    expect(ev(rule, self)).toEqual(want);
  });
  it('reports a bad rule at compile time', () => {
    expect(() => compileRule('self.x +')).toThrow();
  });
});
