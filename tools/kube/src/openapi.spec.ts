import { describe, expect, it } from 'vitest';
import { gvkOf, kindSchema, openApiPath, validateObject, validateValue, type OpenApiDocument } from './openapi.js';

// A miniature of a kube-apiserver /openapi/v3 group-version document: references through
// allOf, an IntOrString as oneOf, an enum, a map, a preserve-unknown-fields object.
const doc: OpenApiDocument = {
  components: {
    schemas: {
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'integer' }, { type: 'string' }] },
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
      'test.v1.Port': { type: 'object', required: ['port'], properties: { port: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }] }, protocol: { type: 'string', enum: ['TCP', 'UDP'] } } },
      'test.v1.Widget': {
        type: 'object',
        'x-kubernetes-group-version-kind': [{ group: 'example.test', version: 'v1', kind: 'Widget' }],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] },
          spec: {
            type: 'object',
            required: ['replicas'],
            properties: {
              replicas: { type: 'integer' },
              ports: { type: 'array', items: { $ref: '#/components/schemas/test.v1.Port' } },
              enabled: { type: 'boolean' },
              extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              port: { 'x-kubernetes-int-or-string': true },
            },
          },
        },
      },
    },
  },
};

const widget = (spec: Record<string, unknown>) => ({ apiVersion: 'example.test/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: 'b' } }, spec });

describe('OpenAPI v3 validation with strict fields', () => {
  it('accepts a valid object, references and int-or-string in both forms', () => {
    expect(validateObject(widget({ replicas: 2, ports: [{ port: 80 }, { port: 'http', protocol: 'UDP' }], enabled: true, extra: { anything: [1] }, port: 'x' }), doc)).toEqual([]);
  });
  it('names every problem with its path', () => {
    const problems = validateObject(widget({ replicas: '2', ports: [{ protocol: 'SCTP' }, { port: 1.5 }], enabled: 'yes', bogus: 1 }), doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '.spec.replicas', message: 'expected an integer, got string' },
        { path: '.spec.ports[0]', message: 'missing required field "port"' },
        { path: '.spec.ports[0].protocol', message: 'unsupported value "SCTP": one of "TCP", "UDP"' },
        { path: '.spec.ports[1].port', message: 'matches none of the 2 allowed forms' },
        { path: '.spec.enabled', message: 'expected a boolean, got string' },
        { path: '.spec.bogus', message: 'unknown field "bogus"' },
      ]),
    );
    expect(problems).toHaveLength(6);
  });
  it('checks map values, and treats null as absent', () => {
    expect(validateObject({ ...widget({ replicas: 1 }), metadata: { name: 'w', labels: { a: 1 } } }, doc)).toEqual([{ path: '.metadata.labels.a', message: 'expected a string, got integer' }]);
    expect(validateObject(widget({ replicas: 1, ports: null }), doc)).toEqual([]);
  });
  it('an unknown kind or a non-object is one problem at the root', () => {
    expect(validateObject({ apiVersion: 'example.test/v1', kind: 'Gadget' }, doc)).toEqual([{ path: '', message: 'the server publishes no schema for Gadget in apis/example.test/v1' }]);
    expect(validateObject('x', doc)[0]!.message).toMatch(/not a Kubernetes object/);
  });
  it('an unresolvable reference is an error, not a pass', () => {
    expect(() => validateValue({ a: 1 }, { $ref: '#/components/schemas/missing' }, doc)).toThrow(/unresolvable/);
  });
  it('maps apiVersion to group/version and the /openapi/v3 path', () => {
    expect(gvkOf({ apiVersion: 'v1', kind: 'Namespace' })).toEqual({ group: '', version: 'v1', kind: 'Namespace' });
    expect(openApiPath(gvkOf({ apiVersion: 'v1', kind: 'Namespace' })!)).toBe('api/v1');
    expect(openApiPath(gvkOf({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' })!)).toBe('apis/policy/v1');
    expect(kindSchema(doc, { group: 'example.test', version: 'v1', kind: 'Widget' })).toBeDefined();
  });
});
