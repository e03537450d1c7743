/**
 * Label key and value syntax, as `k8s.io/apimachinery/pkg/util/validation` checks it
 * (`IsQualifiedName`, `IsValidLabelValue`, `IsDNS1123Subdomain`).
 */

/** Longest label value, and longest name part of a key. */
export const LABEL_VALUE_MAX_LENGTH = 63;
/** Longest DNS-subdomain prefix of a key. */
export const LABEL_PREFIX_MAX_LENGTH = 253;

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why `key` is not a valid label key, or `undefined` when it is. A key is `[prefix/]name`: the
 * optional prefix a DNS subdomain (lower case, dots, at most 253 characters), the name 1-63
 * characters of `[-A-Za-z0-9_.]` starting and ending alphanumeric.
 */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return `label key "${key}" has an empty prefix before "/"`;
    if (prefix.length > LABEL_PREFIX_MAX_LENGTH || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `label key prefix "${prefix}" must be a DNS subdomain: lower-case alphanumerics, "-" and ".", at most ${LABEL_PREFIX_MAX_LENGTH} characters`;
    }
  } else if (parts.length > 2) {
    return `label key "${key}" has more than one "/"; write it as prefix/name`;
  }
  if (name.length === 0) return `label key "${key}" has an empty name`;
  if (name.length > LABEL_VALUE_MAX_LENGTH) return `label key name "${name}" is longer than ${LABEL_VALUE_MAX_LENGTH} characters`;
  if (!NAME.test(name)) return `label key name "${name}" must consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric`;
  return undefined;
}

/**
 * Why `value` is not a valid label value, or `undefined` when it is. The empty value is valid;
 * otherwise at most 63 characters of `[-A-Za-z0-9_.]`, starting and ending alphanumeric.
 */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > LABEL_VALUE_MAX_LENGTH) return `label value "${value}" is longer than ${LABEL_VALUE_MAX_LENGTH} characters`;
  if (!VALUE.test(value)) return `label value "${value}" must be empty or consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric`;
  return undefined;
}
