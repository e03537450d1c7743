/**
 * Kubernetes-shaped failures. Every error the server returns is a `Status` object
 * (`{kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code, details}`), as a
 * real kube-apiserver sends; clients such as client-node and kubectl parse it.
 */

/** One entry of `Status.details.causes`, as `field.Error` renders in the real server. */
export interface StatusCause {
  /** Machine-readable reason, e.g. `FieldValueRequired`, `FieldValueInvalid`, `FieldValueForbidden`. */
  reason: string;
  /** Human-readable text, e.g. `Required value`. */
  message: string;
  /** The JSON path of the field, e.g. `spec.addresses[0]`. */
  field?: string;
}

/** `Status.details`. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A `metav1.Status` failure body. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** An error that the HTTP layer turns into a `Status` response with {@link StatusError.code}. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    /** HTTP status code, also `Status.code`. */
    readonly code: number,
    /** `Status.reason`, e.g. `NotFound`, `Conflict`, `Invalid`. */
    readonly reason: string,
    message: string,
    /** `Status.details`. */
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  /** The wire body. */
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** Identifies the resource an error is about: `group` is empty for the core group. */
export interface ErrorSubject {
  group: string;
  plural: string;
  kind: string;
  name: string;
}

/** `resource.group` as the real server prints it (`services`, `ipaddresspools.metallb.io`). */
export function qualifiedResource(s: { group: string; plural: string }): string {
  return s.group ? `${s.plural}.${s.group}` : s.plural;
}

/** `Kind.group` as the real server prints it in validation errors (`Service`, `IPAddressPool.metallb.io`). */
export function qualifiedKind(s: { group: string; kind: string }): string {
  return s.group ? `${s.kind}.${s.group}` : s.kind;
}

/** 404 `NotFound`: `services "web" not found`. */
export function notFound(s: ErrorSubject): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(s)} "${s.name}" not found`, { name: s.name, group: s.group || undefined, kind: s.plural });
}

/** 409 `AlreadyExists`. */
export function alreadyExists(s: ErrorSubject): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(s)} "${s.name}" already exists`, { name: s.name, group: s.group || undefined, kind: s.plural });
}

/** 409 `Conflict` for a stale `resourceVersion`, with the real server's wording. */
export function conflict(s: ErrorSubject): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(s)} "${s.name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name: s.name, group: s.group || undefined, kind: s.plural },
  );
}

/** 422 `Invalid` with one cause per failed field, worded like `field.ErrorList.ToAggregate()`. */
export function invalid(s: ErrorSubject, causes: StatusCause[]): StatusError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const agg = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  // An empty name (a create without name or generateName) is left out of the details, as Go's omitempty does.
  return new StatusError(422, 'Invalid', `${qualifiedKind(s)} "${s.name}" is invalid: ${agg}`, {
    name: s.name || undefined,
    group: s.group || undefined,
    kind: s.kind,
    causes,
  });
}

/**
 * 422 for an apply patch without `fieldManager`, worded and detailed as kube-apiserver's
 * `PatchOptions` validation: `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: …`.
 */
export function fieldManagerRequired(): StatusError {
  return invalid({ group: 'meta.k8s.io', plural: 'patchoptions', kind: 'PatchOptions', name: '' }, [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
}

/**
 * 422 for an update without `metadata.resourceVersion` of a kind that refuses unconditional
 * updates (custom resources). kube-apiserver names the resource, not the kind, here:
 * `ipaddresspools.metallb.io "x" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`.
 */
export function resourceVersionRequired(s: ErrorSubject): StatusError {
  const cause: StatusCause = { reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be specified for an update', field: 'metadata.resourceVersion' };
  return new StatusError(422, 'Invalid', `${qualifiedResource(s)} "${s.name}" is invalid: metadata.resourceVersion: ${cause.message}`, { name: s.name, group: s.group || undefined, kind: s.plural, causes: [cause] });
}

/** 400 `BadRequest`. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 410 `Expired` (also sent as a watch `ERROR` event). */
export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** 405 `MethodNotAllowed`. */
export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): StatusError {
  // kube-apiserver sends empty details here.
  return new StatusError(405, 'MethodNotAllowed', message, {});
}

/** 415 `UnsupportedMediaType`. */
export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`, {});
}

/** A field-level cause helper: `Required value`. */
export function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

/** Renders a value the way `field.Invalid` does: strings quoted, objects as their type name. */
export function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return '"array"';
  if (typeof v === 'object') return '"object"';
  return String(v);
}

/** A field-level cause helper: `Invalid value: <v>: <detail>`. */
export function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${renderValue(value)}: ${detail}`, field };
}
