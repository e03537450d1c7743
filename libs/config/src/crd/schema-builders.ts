/**
 * Small builders for OpenAPI v3 structural schemas, used to generate `deploy/crds/*.yaml`.
 *
 * The YAML files are the contract (kubectl and apiserver-lite load them); this code only keeps
 * the repeated parts (label selectors, conditions, duplicate checks) identical across kinds.
 * Regenerate with `UPDATE_CRDS=1 npx vitest run src/crds-generated.spec.ts` in `libs/config`.
 */

/** A JSON-schema node as it appears in a CRD (only the keywords we use). */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  required?: string[];
  items?: Schema;
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: Rule[];
}

/** One `x-kubernetes-validations` entry. */
export interface Rule {
  rule: string;
  message: string;
}

/** Extra keywords for a builder. */
type Extra = Omit<Schema, 'type' | 'description'>;

/** A string field. */
export function str(description: string, extra: Extra = {}): Schema {
  return { type: 'string', description, ...extra };
}

/** An integer field (`format` int32 unless stated). */
export function int(description: string, extra: Extra = {}): Schema {
  return { type: 'integer', description, format: 'int32', ...extra };
}

/** An unsigned 32-bit integer (ASNs, LOCAL_PREF). */
export function uint32(description: string, extra: Extra = {}): Schema {
  return { type: 'integer', description, format: 'int64', minimum: 0, maximum: 4294967295, ...extra };
}

/** A boolean field. */
export function bool(description: string, extra: Extra = {}): Schema {
  return { type: 'boolean', description, ...extra };
}

/** An array field. */
export function arr(description: string, items: Schema, extra: Extra = {}): Schema {
  return { type: 'array', description, items, ...extra };
}

/** An object field with named properties. */
export function obj(description: string, properties: Record<string, Schema>, extra: Extra = {}): Schema {
  return { type: 'object', description, properties, ...extra };
}

/** The CEL rule "no element appears twice" (literal equality), with MetalLB's wording. */
export function noDuplicates(field: string): Rule {
  return { rule: 'self.all(x, self.exists_one(y, y == x))', message: `duplicate definition in ${field} field` };
}

/** Label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const LABEL_KEY_RE =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** Label value: empty, or at most 63 characters of `[-A-Za-z0-9_.]` starting and ending alphanumeric. */
export const LABEL_VALUE_RE = '^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$';

/** Bounds that keep the estimated CEL cost of the duplicate checks small. */
export const MAX_SELECTORS = 64;
const MAX_EXPRESSIONS = 32;
const MAX_VALUES = 256;

/** A standard `metav1.LabelSelector`, with its syntax checked by CEL rules. */
export function labelSelector(description: string): Schema {
  return obj(
    description,
    {
      matchExpressions: arr(
        'matchExpressions is a list of label selector requirements. The requirements are ANDed.',
        obj(
          'A label selector requirement: a key, an operator and (for In/NotIn) values.',
          {
            key: str('key is the label key that the selector applies to.', { maxLength: 317, pattern: LABEL_KEY_RE }),
            operator: str("operator is one of In, NotIn, Exists and DoesNotExist.", {
              enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
            }),
            values: arr(
              'values is a list of label values. Non-empty for In and NotIn, empty for Exists and DoesNotExist.',
              str('A label value.', { maxLength: 63, pattern: LABEL_VALUE_RE }),
              { maxItems: MAX_VALUES, 'x-kubernetes-list-type': 'atomic' },
            ),
          },
          {
            required: ['key', 'operator'],
            'x-kubernetes-validations': [
              {
                rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
                message: 'values must be non-empty for the In and NotIn operators and empty for Exists and DoesNotExist',
              },
            ],
          },
        ),
        {
          maxItems: MAX_EXPRESSIONS,
          'x-kubernetes-list-type': 'atomic',
        },
      ),
      matchLabels: {
        type: 'object',
        description:
          'matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions whose key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed.',
        additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE_RE },
        maxProperties: MAX_EXPRESSIONS,
      },
    },
    { 'x-kubernetes-map-type': 'atomic' },
  );
}

/**
 * A list of label selectors (ORed). Duplicates (compared semantically) and label-key syntax in
 * `matchLabels` are checked by `@metallb-ts/config`, not by CEL: comparing nested selectors
 * would exceed kube-apiserver's estimated CEL cost budget.
 */
export function selectorList(description: string, _field: string, itemDescription: string): Schema {
  return arr(description, labelSelector(itemDescription), {
    maxItems: MAX_SELECTORS,
    'x-kubernetes-list-type': 'atomic',
  });
}

/** A list of names without duplicates. */
export function nameList(description: string, field: string, itemDescription: string, max = 128): Schema {
  return arr(description, str(itemDescription, { minLength: 1, maxLength: 253 }), {
    maxItems: max,
    'x-kubernetes-list-type': 'atomic',
    'x-kubernetes-validations': [noDuplicates(field)],
  });
}

/** A standard `metav1.Condition`. */
export function condition(): Schema {
  return obj(
    'Condition contains details for one aspect of the current state of this API Resource.',
    {
      lastTransitionTime: str('lastTransitionTime is the last time the condition transitioned from one status to another.', {
        format: 'date-time',
      }),
      message: str('message is a human readable message indicating details about the transition.', { maxLength: 32768 }),
      observedGeneration: int('observedGeneration represents the .metadata.generation that the condition was set based upon.', {
        format: 'int64',
        minimum: 0,
      }),
      reason: str('reason contains a programmatic identifier indicating the reason for the condition\'s last transition.', {
        maxLength: 1024,
        minLength: 1,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
      status: str('status of the condition, one of True, False, Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      type: str('type of condition in CamelCase or in foo.example.com/CamelCase.', {
        maxLength: 316,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
    },
    { required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'] },
  );
}

/** Go `time.Duration` text as written by `metav1.Duration` (non-negative): `90s`, `1m30s`, `300ms`. */
export const DURATION_RE = '^(0|([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+)$';

/** An additional printer column. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date' | 'number';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** The `Age` column kubectl shows by default (it is dropped when custom columns are declared). */
export const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
