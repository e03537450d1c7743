/**
 * Validation of Kubernetes objects against the OpenAPI v3 schemas a kube-apiserver publishes at
 * `/openapi/v3` (built-in kinds and every installed CRD), with kubectl's strict semantics: a
 * field the schema does not know is an error, as are wrong types, missing required fields and
 * values outside an enum.
 *
 * The validator ({@link validateObject}) is pure; {@link fetchOpenApi} reads the documents
 * through kubectl.
 */

/** The part of an OpenAPI v3 schema object the Kubernetes documents use. */
export interface Schema {
  readonly type?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly anyOf?: readonly Schema[];
  readonly $ref?: string;
  readonly enum?: readonly unknown[];
  readonly nullable?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-group-version-kind'?: readonly GroupVersionKind[];
}

/** A group, version and kind (`group` is `""` for the core API). */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** One group-version document of `/openapi/v3/<path>`. */
export interface OpenApiDocument {
  readonly components?: { readonly schemas?: Readonly<Record<string, Schema>> };
}

/** One problem found in an object, at a JSON path like `.spec.template.spec.containers[0].ports`. */
export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

/** An object's group, version and kind from its `apiVersion` and `kind`, or undefined when it has none. */
export function gvkOf(obj: unknown): GroupVersionKind | undefined {
  if (!isPlainObject(obj) || typeof obj['apiVersion'] !== 'string' || typeof obj['kind'] !== 'string') return undefined;
  const apiVersion = obj['apiVersion'];
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion, kind: obj['kind'] } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind: obj['kind'] };
}

/** The `/openapi/v3` path of a group-version: `api/v1` for the core group, else `apis/<group>/<version>`. */
export function openApiPath(gvk: Pick<GroupVersionKind, 'group' | 'version'>): string {
  return gvk.group === '' ? `api/${gvk.version}` : `apis/${gvk.group}/${gvk.version}`;
}

/** The schema of a kind in its group-version document, found by `x-kubernetes-group-version-kind`. */
export function kindSchema(doc: OpenApiDocument, gvk: GroupVersionKind): Schema | undefined {
  for (const s of Object.values(doc.components?.schemas ?? {})) {
    if ((s['x-kubernetes-group-version-kind'] ?? []).some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) return s;
  }
  return undefined;
}

/**
 * Validates `obj` against the schema of its kind in `doc` (the document of its group-version).
 * Returns the problems, empty when valid; an unknown kind is one problem at the root.
 */
export function validateObject(obj: unknown, doc: OpenApiDocument): SchemaProblem[] {
  const gvk = gvkOf(obj);
  if (!gvk) return [{ path: '', message: 'not a Kubernetes object: apiVersion and kind must be strings' }];
  const schema = kindSchema(doc, gvk);
  if (!schema) return [{ path: '', message: `the server publishes no schema for ${gvk.kind} in ${openApiPath(gvk)}` }];
  const problems: SchemaProblem[] = [];
  check(obj, schema, '', doc, problems, 0);
  return problems;
}

/** Validates a value against any schema of `doc` (exported for tests of the rules). */
export function validateValue(value: unknown, schema: Schema, doc: OpenApiDocument = {}): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  check(value, schema, '', doc, problems, 0);
  return problems;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolve(schema: Schema, doc: OpenApiDocument, at: string): Schema {
  if (!schema.$ref) return schema;
  const m = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref);
  const target = m ? doc.components?.schemas?.[m[1]!.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  if (!target) throw new Error(`unresolvable schema reference ${schema.$ref} at ${at || '.'}`);
  return target;
}

/** Properties (and required names, and the open/closed flags) of a schema with its allOf parts merged. */
interface Flattened {
  type?: string;
  properties: Record<string, Schema>;
  required: string[];
  additionalProperties?: Schema | boolean;
  preserveUnknown: boolean;
  intOrString: boolean;
  enum?: readonly unknown[];
  nullable: boolean;
  alternatives: (readonly Schema[])[];
  items?: Schema;
}

function flatten(schema: Schema, doc: OpenApiDocument, at: string, depth: number): Flattened {
  if (depth > 64) throw new Error(`schema references nest deeper than 64 at ${at}`);
  const s = resolve(schema, doc, at);
  const out: Flattened = {
    ...(s.type !== undefined ? { type: s.type } : {}),
    properties: { ...(s.properties ?? {}) },
    required: [...(s.required ?? [])],
    ...(s.additionalProperties !== undefined ? { additionalProperties: s.additionalProperties } : {}),
    preserveUnknown: s['x-kubernetes-preserve-unknown-fields'] === true,
    intOrString: s['x-kubernetes-int-or-string'] === true,
    ...(s.enum ? { enum: s.enum } : {}),
    nullable: s.nullable === true,
    alternatives: [...(s.oneOf ? [s.oneOf] : []), ...(s.anyOf ? [s.anyOf] : [])],
    ...(s.items ? { items: s.items } : {}),
  };
  for (const part of s.allOf ?? []) {
    const f = flatten(part, doc, at, depth + 1);
    out.type ??= f.type;
    Object.assign(out.properties, f.properties);
    out.required.push(...f.required);
    if (f.additionalProperties !== undefined) out.additionalProperties ??= f.additionalProperties;
    out.preserveUnknown ||= f.preserveUnknown;
    out.intOrString ||= f.intOrString;
    out.enum ??= f.enum;
    out.nullable ||= f.nullable;
    out.alternatives.push(...f.alternatives);
    out.items ??= f.items;
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function check(value: unknown, schema: Schema, path: string, doc: OpenApiDocument, problems: SchemaProblem[], depth: number): void {
  const at = path || '.';
  const s = flatten(schema, doc, at, depth);
  // An explicit null is how YAML writes "absent"; the API server drops it.
  if (value === null) return;
  if (s.intOrString) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) problems.push({ path: at, message: `expected an integer or a string, got ${typeName(value)}` });
    return;
  }
  if (s.enum && !s.enum.some((e) => e === value)) {
    problems.push({ path: at, message: `unsupported value ${JSON.stringify(value)}: one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` });
    return;
  }
  for (const alternatives of s.alternatives) {
    const fits = alternatives.some((alt) => {
      const p: SchemaProblem[] = [];
      check(value, alt, path, doc, p, depth + 1);
      return p.length === 0;
    });
    if (!fits) problems.push({ path: at, message: `matches none of the ${alternatives.length} allowed forms` });
  }
  const type = s.type ?? (Object.keys(s.properties).length > 0 ? 'object' : undefined);
  switch (type) {
    case undefined:
      return; // untyped: anything goes (e.g. JSON of a RawExtension)
    case 'string':
      if (typeof value !== 'string') problems.push({ path: at, message: `expected a string, got ${typeName(value)}` });
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) problems.push({ path: at, message: `expected an integer, got ${typeName(value)}` });
      return;
    case 'number':
      if (typeof value !== 'number') problems.push({ path: at, message: `expected a number, got ${typeName(value)}` });
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push({ path: at, message: `expected a boolean, got ${typeName(value)}` });
      return;
    case 'array':
      if (!Array.isArray(value)) {
        problems.push({ path: at, message: `expected an array, got ${typeName(value)}` });
        return;
      }
      if (s.items) value.forEach((item, i) => check(item, s.items!, `${path}[${i}]`, doc, problems, depth + 1));
      return;
    case 'object': {
      if (!isPlainObject(value)) {
        problems.push({ path: at, message: `expected an object, got ${typeName(value)}` });
        return;
      }
      for (const r of s.required) if (!(r in value) || value[r] === undefined) problems.push({ path: at, message: `missing required field "${r}"` });
      const hasProps = Object.keys(s.properties).length > 0;
      for (const [k, v] of Object.entries(value)) {
        const child = `${path}.${k}`;
        const prop = s.properties[k];
        if (prop) check(v, prop, child, doc, problems, depth + 1);
        else if (typeof s.additionalProperties === 'object') check(v, s.additionalProperties, child, doc, problems, depth + 1);
        else if (s.additionalProperties === true || s.preserveUnknown || (!hasProps && s.additionalProperties === undefined)) continue;
        else problems.push({ path: child, message: `unknown field "${k}"` });
      }
      return;
    }
    default:
      problems.push({ path: at, message: `schema type "${type}" is not understood by this validator` });
  }
}

/** Runs kubectl; resolves its stdout or rejects with its stderr. */
export type RawGet = (path: string) => Promise<string>;

/**
 * The group-version documents of a live API server, read on demand through `get` (e.g.
 * `kubectl get --raw PATH`) and kept: `document(path)` for `api/v1`, `apis/apps/v1`, ….
 */
export class OpenApiIndex {
  private paths: Promise<Record<string, { serverRelativeURL: string }>> | undefined;
  private readonly docs = new Map<string, Promise<OpenApiDocument>>();

  private readonly get: RawGet;

  constructor(get: RawGet) {
    this.get = get;
  }

  /** The group-version paths the server publishes. */
  async available(): Promise<string[]> {
    return Object.keys(await this.index());
  }

  /** The document of one group-version path; rejects naming the path when the server has none. */
  document(path: string): Promise<OpenApiDocument> {
    let d = this.docs.get(path);
    if (!d) {
      d = this.index().then(async (idx) => {
        const entry = idx[path];
        if (!entry) throw new Error(`the API server publishes no /openapi/v3/${path} (is the group installed?)`);
        return JSON.parse(await this.get(entry.serverRelativeURL)) as OpenApiDocument;
      });
      this.docs.set(path, d);
    }
    return d;
  }

  /** Validates one object against the schema the server publishes for its kind. */
  async validate(obj: unknown): Promise<SchemaProblem[]> {
    const gvk = gvkOf(obj);
    if (!gvk) return [{ path: '', message: 'not a Kubernetes object: apiVersion and kind must be strings' }];
    return validateObject(obj, await this.document(openApiPath(gvk)));
  }

  private index(): Promise<Record<string, { serverRelativeURL: string }>> {
    this.paths ??= this.get('/openapi/v3').then((t) => (JSON.parse(t) as { paths: Record<string, { serverRelativeURL: string }> }).paths);
    return this.paths;
  }
}

/** `problems` as lines `<kind>/<name> <path>: <message>` for an assertion message. */
export function describeProblems(obj: unknown, problems: readonly SchemaProblem[]): string[] {
  const o = isPlainObject(obj) ? obj : {};
  const meta = isPlainObject(o['metadata']) ? o['metadata'] : {};
  return problems.map((p) => `${String(o['kind'])}/${String(meta['name'])} ${p.path}: ${p.message}`);
}
