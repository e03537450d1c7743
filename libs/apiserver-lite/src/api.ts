/**
 * The API semantics, independent of HTTP: create/get/list/update/patch/delete with
 * resourceVersion preconditions, generation, uid and creationTimestamp, finalizers and
 * deletionTimestamp, the status subresource, server-side apply, CRD registration, and
 * defaulting/validation of custom objects. The HTTP layer (`http.ts`) maps requests onto it.
 */
import { formatRfc3339, type Clock, type Rng } from '@metallb-ts/clock';
import { parseAllDocuments } from 'yaml';
import { recordUpdate, serverSideApply } from './apply.js';
import { startControllers } from './controllers.js';
import { establishedCrd, prepareBuiltin, ServiceAllocator, type AllocatorMark } from './defaults.js';
import { alreadyExists, badRequest, conflict, fieldManagerRequired, invalid, notFound, resourceVersionRequired, StatusError, type ErrorSubject, type StatusCause } from './errors.js';
import { clone, deepEqual, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, storageKey, TypeRegistry, typesFromCrd, type CrdObject, type ResourceType } from './resources.js';
import { applyDefaults, prune, validate, type Schema } from './schema.js';
import { collectRules, compileRule } from './cel.js';
import { BUILTIN_SCHEMAS, OBJECT_META_SCHEMA, validateBuiltin } from './builtin-schemas.js';
import { exceedsDepth, MAX_DEPTH } from './depth.js';
import { PATCH_TYPES } from './patch-types.js';
import { parseSelection, selects, SelectorParseError, type Selection } from './selectors.js';

export type { Selection } from './selectors.js';
import { ObjectStore, type KObject, type Persistence } from './store.js';

/** Write options shared by create/update/patch/delete (query parameters of the real API). */
export interface WriteOptions {
  /** `fieldManager`. */
  fieldManager?: string;
  /** `dryRun=All`: validate and return the result without storing it. */
  dryRun?: boolean;
  /** `force` for server-side apply. */
  force?: boolean;
  /** `fieldValidation=Strict`: unknown fields of custom objects are an error. */
  strict?: boolean;
  /**
   * The body was decoded for this call alone and the result is only serialised (the HTTP layer):
   * the body is taken over without a defensive copy, and the returned object may share structure
   * with the stored one (it must not be modified). @default false (a private body copy, a deep-copied result)
   */
  serialiseOnly?: boolean;
}

/** Options of {@link Api}. */
export interface ApiOptions {
  clock: Clock;
  rng: Rng;
  persistence?: Persistence;
  /** @default 10000 */
  historySize?: number;
  /** Run the simulated controllers: EndpointSlices from Service selectors and ready Pods, garbage collection by ownerReferences. @default true */
  simulateControllers?: boolean;
  /** The store's group commit (one `fsync` per event-loop turn; see `StoreOptions.groupCommit`). The HTTP server turns it on. @default false */
  groupCommit?: boolean;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(['/namespaces', '/services']);

/** A hook run after each committed change (used for controller simulation). */
export type ChangeHook = (key: string, obj: KObject, deleted: boolean) => void;

/**
 * The Service allocator, counting the calls that change it: a failed request whose transaction
 * made none needs no rebuild of the allocations from every Service (see `atomically`).
 */
class CountingAllocator extends ServiceAllocator {
  /** Calls that changed (or may have changed) the allocations, ever. */
  changes = 0;
  override ip(family: 'IPv4' | 'IPv6'): string {
    this.changes++;
    return super.ip(family);
  }
  override port(): number {
    this.changes++;
    return super.port();
  }
  override release(svc: KObject): void {
    this.changes++;
    super.release(svc);
  }
}

/** The in-memory Kubernetes API. */
export class Api {
  readonly store: ObjectStore;
  readonly types = new TypeRegistry();
  private readonly alloc = new CountingAllocator();
  /** CRD (un)registrations, ever: a rolled-back one needs the types rebuilt. */
  private crdSyncs = 0;
  private readonly hooks: ChangeHook[] = [];
  private inHook = false;
  private stopControllers: (() => void) | undefined;

  constructor(readonly opts: ApiOptions) {
    this.store = new ObjectStore({ clock: opts.clock, historySize: opts.historySize, persistence: opts.persistence, groupCommit: opts.groupCommit });
    // Re-register CRDs and allocations restored from a snapshot.
    for (const crd of this.store.list('apiextensions.k8s.io/customresourcedefinitions')) for (const t of typesFromCrd(crd as unknown as CrdObject)) this.types.add(t);
    for (const svc of this.store.list('/services')) this.alloc.observe(svc);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      if (!this.store.get('/namespaces', undefined, ns)) this.create(this.mustType('', 'v1', 'namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    if (opts.simulateControllers ?? true) this.stopControllers = startControllers(this);
  }

  /** Stops the simulated controllers. */
  stop(): void {
    this.stopControllers?.();
  }

  /** Registers a hook called after each committed change. */
  onChange(h: ChangeHook): void {
    this.hooks.push(h);
  }

  /** The type at `group/version/plural`, or a 404. */
  mustType(group: string, version: string, plural: string): ResourceType {
    const t = this.types.get(group, version, plural);
    if (!t) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${plural}${group ? `.${group}` : ''})`);
    return t;
  }

  /** The type of an object by its `apiVersion` and `kind`. */
  typeOfObject(obj: { apiVersion?: string; kind?: string }): ResourceType {
    const [group, version] = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion ?? ''];
    const t = this.types.all().find((x) => x.group === group && x.version === version && x.kind === obj.kind);
    if (!t) throw new StatusError(404, 'NotFound', `no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`);
    return t;
  }

  private now(): string {
    return formatRfc3339(this.opts.clock.now());
  }

  private uid(): string {
    const b = this.opts.rng.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private subject(t: ResourceType, name: string): ErrorSubject {
    return { group: t.group, plural: t.plural, kind: t.kind, name };
  }

  /** An object as served at version `t` (objects of all versions share one storage). */
  view(t: ResourceType, o: KObject): KObject {
    const c = clone(o);
    c.apiVersion = apiVersionOf(t);
    c.kind = t.kind;
    return c;
  }

  /** What a write returns: a deep copy ({@link view}), or a relabelled shallow view when it is only serialised. */
  private result(t: ResourceType, o: KObject, opts: WriteOptions): KObject {
    return opts.serialiseOnly ? { ...o, apiVersion: apiVersionOf(t), kind: t.kind } : this.view(t, o);
  }

  /**
   * Parses `labelSelector`/`fieldSelector`; a bad selector is a 400. With the resource type `t`,
   * a field that kind cannot be selected by is refused as kube-apiserver refuses it.
   */
  selection(labelSelector?: string, fieldSelector?: string, t?: ResourceType): Selection {
    try {
      return parseSelection(labelSelector, fieldSelector, t);
    } catch (e) {
      if (e instanceof SelectorParseError) throw badRequest(e.message);
      throw e;
    }
  }

  /** Whether an object is selected. */
  static selects(sel: Selection, o: KObject): boolean {
    return selects(sel, o);
  }

  /** GET one object. */
  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!o) throw notFound(this.subject(t, name));
    return this.view(t, o);
  }

  /**
   * LIST: objects and the list's resourceVersion. Items are shallow views sharing structure with
   * the store (a list of thousands is not deep-copied): callers must not mutate them.
   */
  list(t: ResourceType, ns: string | undefined, sel: Selection): { items: KObject[]; resourceVersion: string } {
    const apiVersion = apiVersionOf(t);
    const items = this.store
      .list(storageKey(t), t.namespaced ? ns : undefined)
      .filter((o) => Api.selects(sel, o))
      .map((o) => ({ ...o, apiVersion, kind: t.kind }));
    return { items, resourceVersion: String(this.store.currentRv()) };
  }

  private checkNamespace(t: ResourceType, ns: string | undefined, body: KObject): string | undefined {
    if (!t.namespaced) {
      if (body.metadata.namespace) delete body.metadata.namespace;
      return undefined;
    }
    const bodyNs = body.metadata.namespace;
    if (ns && bodyNs && bodyNs !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const effective = ns ?? bodyNs;
    if (!effective) throw badRequest('an empty namespace may not be set during creation');
    if (!this.store.get('/namespaces', undefined, effective)) throw notFound({ group: '', plural: 'namespaces', kind: 'Namespace', name: effective });
    const nsObj = this.store.get('/namespaces', undefined, effective);
    if (nsObj?.metadata.deletionTimestamp && !this.inHook)
      throw new StatusError(403, 'Forbidden', `${t.plural} "${body.metadata.name}" is forbidden: unable to create new content in namespace ${effective} because it is being terminated`);
    return effective;
  }

  /** The body as an object of type `t`; a copy unless the caller hands it over (`owned`). */
  private parseObject(t: ResourceType, body: unknown, owned = false): KObject {
    if (!isObj(body)) throw badRequest('the body of the request must be a JSON or YAML object');
    if (exceedsDepth(body)) throw badRequest(`the object nests deeper than ${MAX_DEPTH} levels`);
    const o = (owned ? body : clone(body)) as KObject;
    if (!isObj(o.metadata)) o.metadata = {} as KObject['metadata'];
    if (o.kind !== undefined && o.kind !== t.kind) throw badRequest(`the kind "${o.kind}" does not match the resource ${t.plural} (kind "${t.kind}")`);
    if (o.apiVersion !== undefined && o.apiVersion.split('/')[0] !== (t.group || o.apiVersion.split('/')[0])) throw badRequest(`the API version "${o.apiVersion}" does not match the resource ${t.plural}`);
    o.apiVersion = apiVersionOf(t);
    o.kind = t.kind;
    return o;
  }

  private validateMeta(t: ResourceType, o: KObject): StatusCause[] {
    const causes: StatusCause[] = [];
    const name = o.metadata.name;
    const re = LABEL_NAMED.has(storageKey(t)) ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
    const max = re === DNS1123_LABEL ? 63 : 253;
    const freeForm = !t.crd && t.plural === 'events';
    const badName = (field: string, shown: string, checked: string) => {
      if (freeForm || (re.test(checked) && checked.length <= max)) return;
      causes.push({
        reason: 'FieldValueInvalid',
        field,
        message:
          re === DNS1123_LABEL
            ? `Invalid value: ${JSON.stringify(shown)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
            : `Invalid value: ${JSON.stringify(shown)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      });
    };
    // A generateName is checked as a prefix: kube-apiserver masks a trailing dash (its last two characters become "a").
    const gen = o.metadata.generateName;
    if (typeof gen === 'string' && gen !== '') badName('metadata.generateName', gen, gen.length > 1 && gen.endsWith('-') ? `${gen.slice(0, -2)}a` : gen);
    if (typeof name !== 'string' || name === '') causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
    else badName('metadata.name', name, name);
    for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
      const [prefix, nm] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : ['', k];
      if (!LABEL_NAME.test(nm) || nm.length > 63 || (prefix && !DNS1123_SUBDOMAIN.test(prefix)))
        causes.push({ reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: ${JSON.stringify(k)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')` });
      if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63)
        causes.push({ reason: 'FieldValueInvalid', field: `metadata.labels`, message: `Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')` });
    }
    return causes;
  }

  /** Pruning, defaulting, schema and CEL validation of a custom object; also built-in defaults. */
  private admit(t: ResourceType, o: KObject, old: KObject | undefined, strict: boolean): KObject {
    // Types first: defaulting, metadata checks and the simulated controllers read these fields.
    const typeCauses = validate(o.metadata, OBJECT_META_SCHEMA, 'metadata', { cel: false });
    const builtin = t.crd ? undefined : BUILTIN_SCHEMAS[storageKey(t)];
    if (builtin) {
      const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = o;
      typeCauses.push(...validate(rest, builtin, '', { cel: false }));
    }
    if (typeCauses.length) throw invalid(this.subject(t, typeof o.metadata.name === 'string' ? o.metadata.name : ''), typeCauses);
    let out = o;
    if (t.schema) {
      const pruned = prune(out, t.schema, true) as KObject;
      if (strict) {
        const unknown = unknownFields(out, pruned, '');
        if (unknown.length) throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
      }
      out = applyDefaults(pruned, t.schema) as KObject;
    }
    if (t.schema && t.crd && !t.storage) {
      // The storage version's defaults apply too (kube-apiserver defaults the object again when it
      // reads it back from storage), then the request version's pruning (what it does not know goes).
      const stored = this.types.all().find((x) => x.crd === t.crd && x.storage);
      if (stored?.schema) out = prune(applyDefaults(out, stored.schema), t.schema, true) as KObject;
    }
    if (!t.crd) out = prepareBuiltin(storageKey(t), out, old, this.alloc);
    const causes = this.validateMeta(t, out);
    if (!t.crd) causes.push(...validateBuiltin(storageKey(t), out));
    if (t.schema) {
      const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = out;
      const oldRest = old ? (({ metadata: _om, apiVersion: _oa, kind: _ok, ...r }) => r)(old) : undefined;
      const props = t.schema.properties ?? {};
      const schema = { ...t.schema, properties: Object.fromEntries(Object.entries(props).filter(([k]) => !['metadata', 'apiVersion', 'kind'].includes(k))) };
      causes.push(...validate(rest, schema, '', { old: oldRest, reportSkippedRules: true }));
    }
    if (storageKey(t) === 'apiextensions.k8s.io/customresourcedefinitions') {
      const types = typesFromCrd(out as unknown as CrdObject);
      const versions = (out.spec?.versions ?? []) as { name: string; schema?: { openAPIV3Schema?: Schema } }[];
      versions.forEach((v, i) => {
        for (const r of collectRules(v.schema?.openAPIV3Schema)) {
          for (const [expr, what] of [[r.rule, 'rule'], [r.messageExpression, 'messageExpression']] as const) {
            if (!expr) continue;
            try {
              compileRule(expr);
            } catch (e) {
              causes.push({ reason: 'FieldValueInvalid', field: `spec.validation.openAPIV3Schema.${r.path}.x-kubernetes-validations`, message: `Invalid value: ${JSON.stringify(expr)}: compilation failed (${what}, version ${v.name ?? i}): ${(e as Error).message.split('\n')[0]}` });
            }
          }
        }
      });
      void types;
    }
    // events.k8s.io Events are validated as the internal core Event: kube-apiserver names no group.
    if (causes.length) throw invalid({ ...this.subject(t, o.metadata.name ?? ''), ...(t.group === 'events.k8s.io' ? { group: '' } : {}) }, causes);
    return out;
  }

  /**
   * Runs one request's writes atomically: everything it changed — including what the simulated
   * controllers did in reaction — is committed together when it succeeds, and undone when it
   * throws (or always, for `dryRun`). A request that answers an error has changed nothing.
   */
  private atomically<T>(fn: () => T, dryRun = false): T {
    if (this.store.inTransaction()) return fn();
    const mark = this.alloc.mark();
    const allocChanges = this.alloc.changes;
    const crdSyncs = this.crdSyncs;
    let undone = true;
    try {
      const out = this.store.transaction(fn, { rollback: dryRun });
      undone = dryRun;
      return out;
    } finally {
      // The rebuild reads every Service: only when the undone writes allocated, released or
      // (un)registered something — a 404, 409 or validation error of most requests costs O(1).
      if (undone && (this.alloc.changes !== allocChanges || this.crdSyncs !== crdSyncs)) this.resync(mark);
    }
  }

  /** Rebuilds what is derived from the stored objects (allocations, CRD types) after a rollback. */
  private resync(mark: AllocatorMark): void {
    this.alloc.rewind(mark);
    for (const svc of this.store.list('/services')) this.alloc.observe(svc);
    const crds = this.store.list('apiextensions.k8s.io/customresourcedefinitions');
    for (const t of this.types.all()) if (t.crd) this.types.removeCrd(t.crd);
    for (const crd of crds) for (const t of typesFromCrd(crd as unknown as CrdObject)) this.types.add(t);
  }

  /** CREATE. */
  create(t: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}, managedOverride?: any[]): KObject {
    return this.atomically(() => this.doCreate(t, ns, body, opts, managedOverride), opts.dryRun);
  }

  private doCreate(t: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions, managedOverride?: any[]): KObject {
    const o = this.parseObject(t, body, opts.serialiseOnly);
    if (!o.metadata.name && typeof o.metadata.generateName === 'string' && o.metadata.generateName) {
      const chars = 'bcdfghjklmnpqrstvwxz2456789';
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += chars[this.opts.rng.int(chars.length)];
      // As kube-apiserver: the prefix is cut to 58 characters, so prefix and suffix fit 63.
      o.metadata.name = `${o.metadata.generateName.slice(0, 58)}${suffix}`;
    }
    const effectiveNs = this.checkNamespace(t, ns, o);
    if (effectiveNs) o.metadata.namespace = effectiveNs;
    const key = storageKey(t);
    if (o.metadata.name && this.store.get(key, effectiveNs, o.metadata.name)) throw alreadyExists(this.subject(t, o.metadata.name));
    if (t.statusSubresource && key !== '/services' && key !== '/namespaces' && key !== 'apiextensions.k8s.io/customresourcedefinitions' && key !== '/nodes' && key !== '/pods') delete o.status;
    const now = this.now();
    for (const f of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete o.metadata[f];
    o.metadata.uid = this.uid();
    o.metadata.creationTimestamp = now;
    if (t.generation) o.metadata.generation = 1;
    else delete o.metadata.generation;
    let admitted = this.admit(t, o, undefined, !!opts.strict);
    if (key === 'apiextensions.k8s.io/customresourcedefinitions') admitted = establishedCrd(admitted, now);
    admitted.metadata.managedFields = managedOverride ?? recordUpdate(undefined, admitted, opts.fieldManager ?? 'unknown', apiVersionOf(t), now);
    if (opts.dryRun) return this.view(t, { ...admitted, metadata: { ...admitted.metadata } });
    const stored = this.store.put(key, admitted);
    this.afterWrite(key, stored, false);
    return this.result(t, stored, opts);
  }

  /** UPDATE (PUT), of the main resource or of `status`. */
  update(t: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}, subresource?: 'status'): KObject {
    return this.atomically(() => this.doUpdate(t, ns, name, body, opts, subresource), opts.dryRun);
  }

  private doUpdate(t: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, subresource?: 'status'): KObject {
    const o = this.parseObject(t, body, opts.serialiseOnly);
    const key = storageKey(t);
    const effNs = t.namespaced ? ns ?? o.metadata.namespace : undefined;
    const old = this.store.get(key, effNs, name);
    if (!old) throw notFound(this.subject(t, name));
    if (o.metadata.name !== undefined && o.metadata.name !== name) throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
    return this.commitUpdate(t, old, o, opts, subresource);
  }

  private commitUpdate(t: ResourceType, old: KObject, o: KObject, opts: WriteOptions, subresource?: 'status', managedOverride?: any[]): KObject {
    const key = storageKey(t);
    const name = old.metadata.name;
    const rv = o.metadata.resourceVersion;
    if ((rv === undefined || rv === '') && !t.unconditionalUpdate) throw resourceVersionRequired(this.subject(t, name));
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw conflict(this.subject(t, name));
    if (o.metadata.uid !== undefined && o.metadata.uid !== '' && o.metadata.uid !== old.metadata.uid)
      throw invalid(this.subject(t, name), [{ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `Invalid value: ${JSON.stringify(o.metadata.uid)}: field is immutable` }]);
    // `o` is always this request's own object (parseObject's, or the apply merge's): it is used
    // without another deep copy; `old` is stored and shared, so what comes from it is copied.
    let next: KObject;
    if (subresource === 'status') {
      // Shallow: nothing below writes into `old`'s nested objects (admission builds new ones).
      next = { ...old, metadata: { ...old.metadata }, status: o.status };
      if (o.status === undefined) delete next.status;
      // The status strategies of built-in kinds keep metadata changes (labels, annotations); a custom resource's does not.
      if (!t.crd) {
        next.metadata = { ...next.metadata, labels: o.metadata.labels, annotations: o.metadata.annotations };
        if (next.metadata.labels === undefined) delete next.metadata.labels;
        if (next.metadata.annotations === undefined) delete next.metadata.annotations;
      }
    } else {
      next = { ...o };
      if (t.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
    }
    // System metadata is immutable.
    next.metadata = {
      ...next.metadata,
      name,
      namespace: old.metadata.namespace,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      ...(t.generation ? { generation: old.metadata.generation } : {}),
      resourceVersion: old.metadata.resourceVersion,
    };
    if (next.metadata.namespace === undefined) delete next.metadata.namespace;
    if (old.metadata.deletionTimestamp) next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    let admitted = this.admit(t, next, old, !!opts.strict);
    if (key === 'apiextensions.k8s.io/customresourcedefinitions') admitted = establishedCrd(admitted, this.now());
    // generation counts spec changes: everything but metadata and status.
    const specOf = (x: KObject) => {
      const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = x;
      return t.statusSubresource ? rest : { ...rest, status: x.status };
    };
    if (t.generation && !deepEqual(specOf(admitted), specOf(old))) admitted.metadata.generation = (old.metadata.generation ?? 1) + 1;
    admitted.metadata.managedFields = managedOverride ?? recordUpdate(old, admitted, opts.fieldManager ?? 'unknown', apiVersionOf(t), this.now(), subresource);
    // A write that changes only managedFields timestamps changes nothing; a change of ownership (a second manager applying the same value) is stored.
    const untimed = (m: unknown) => (Array.isArray(m) ? m.map((e) => (isObj(e) ? { ...e, time: undefined } : e)) : m);
    const comparable = (x: KObject) => ({ ...x, metadata: { ...x.metadata, managedFields: untimed(x.metadata.managedFields), resourceVersion: undefined } });
    const noop = deepEqual(comparable(admitted), comparable(old));
    if (noop) return this.result(t, old, opts);
    if (opts.dryRun) return this.view(t, admitted);
    // Removing the last finalizer of an object being deleted deletes it.
    if (admitted.metadata.deletionTimestamp && !(admitted.metadata.finalizers?.length)) {
      const gone = this.store.remove(key, old.metadata.namespace, name)!;
      this.afterWrite(key, gone, true);
      return this.result(t, gone, opts);
    }
    const stored = this.store.put(key, admitted);
    this.afterWrite(key, stored, false);
    return this.result(t, stored, opts);
  }

  /** PATCH with any of {@link PATCH_TYPES}; apply creates a missing object. */
  patch(t: ResourceType, ns: string | undefined, name: string, type: string, body: unknown, opts: WriteOptions = {}, subresource?: 'status'): KObject {
    return this.atomically(() => this.doPatch(t, ns, name, type, body, opts, subresource), opts.dryRun);
  }

  private doPatch(t: ResourceType, ns: string | undefined, name: string, type: string, body: unknown, opts: WriteOptions, subresource?: 'status'): KObject {
    if (exceedsDepth(body)) throw badRequest(`the patch nests deeper than ${MAX_DEPTH} levels`);
    const key = storageKey(t);
    const old = this.store.get(key, t.namespaced ? ns : undefined, name);
    if (type === PATCH_TYPES.apply) return this.apply(t, ns, name, old, body, opts, subresource);
    if (!old) throw notFound(this.subject(t, name));
    // A merge patch builds fresh objects along the paths it changes and shares the rest (stored
    // objects are never modified in place), so its base needs no deep copy — only `metadata`,
    // which is written below. JSON and strategic patches edit their base: a deep copy.
    const base = type === PATCH_TYPES.merge ? { ...old, apiVersion: apiVersionOf(t), kind: t.kind, metadata: { ...old.metadata } } : this.view(t, old);
    let patched: unknown;
    switch (type) {
      case PATCH_TYPES.merge:
        if (!isObj(body)) throw badRequest('merge patch body must be a JSON object');
        patched = mergePatch(base, body);
        break;
      case PATCH_TYPES.json:
        patched = jsonPatch(base, body);
        break;
      case PATCH_TYPES.strategic:
        if (t.crd) throw new StatusError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources; use --type=merge or --type=json');
        if (!isObj(body)) throw badRequest('strategic merge patch body must be a JSON object');
        patched = strategicMergePatch(base, body);
        break;
      default:
        throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`);
    }
    if (!isObj(patched)) throw new StatusError(422, 'Invalid', 'the patch produced something that is not an object');
    // The patched object shares no object it writes to with the stored one (`base` is a copy, or fresh where a merge patch changed it).
    const o = this.parseObject(t, patched, opts.serialiseOnly);
    if (o.metadata.name !== name) throw badRequest('the name of the object cannot be changed by a patch');
    // A patch only carries a precondition when it sets metadata.resourceVersion itself.
    const bodyRv = isObj(body) && isObj((body as any).metadata) ? (body as any).metadata.resourceVersion : undefined;
    o.metadata.resourceVersion = bodyRv ?? old.metadata.resourceVersion;
    return this.commitUpdate(t, old, o, opts, subresource);
  }

  private apply(t: ResourceType, ns: string | undefined, name: string, old: KObject | undefined, body: unknown, opts: WriteOptions, subresource?: 'status'): KObject {
    if (!opts.fieldManager) throw fieldManagerRequired();
    const applied = this.parseObject(t, body, opts.serialiseOnly);
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    applied.metadata.name = name;
    if (t.namespaced && ns) applied.metadata.namespace ??= ns;
    const merged = serverSideApply({ live: old ? this.view(t, old) : undefined, applied, manager: opts.fieldManager, force: !!opts.force, apiVersion: apiVersionOf(t), time: this.now(), subresource, statusSubresource: t.statusSubresource });
    if (!old) {
      // Applying to /status of a missing object is a 404, as in kube-apiserver.
      if (subresource === 'status') throw notFound(this.subject(t, name));
      return this.create(t, ns, merged, opts, merged.metadata.managedFields);
    }
    merged.metadata.resourceVersion = applied.metadata.resourceVersion ?? old.metadata.resourceVersion;
    return this.commitUpdate(t, old, merged, opts, subresource, merged.metadata.managedFields);
  }

  /** DELETE: with finalizers the object gets a deletionTimestamp and stays until they are removed. */
  delete(t: ResourceType, ns: string | undefined, name: string, options: { preconditions?: { uid?: string; resourceVersion?: string } } = {}, opts: WriteOptions = {}): KObject {
    return this.atomically(() => this.doDelete(t, ns, name, options, opts), opts.dryRun);
  }

  private doDelete(t: ResourceType, ns: string | undefined, name: string, options: { preconditions?: { uid?: string; resourceVersion?: string } }, opts: WriteOptions): KObject {
    const key = storageKey(t);
    const effNs = t.namespaced ? ns : undefined;
    const old = this.store.get(key, effNs, name);
    if (!old) throw notFound(this.subject(t, name));
    const pre = options.preconditions ?? {};
    // Worded as kube-apiserver's BeforeDelete: the resource named by its kind (`Kind.group`).
    const failed =
      pre.uid && pre.uid !== old.metadata.uid
        ? `the UID in the precondition (${pre.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`
        : pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion
          ? `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`
          : undefined;
    if (failed) throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${t.group ? `${t.kind}.${t.group}` : t.kind} "${name}": ${failed}`, { name, group: t.group || undefined, kind: t.kind });
    if (opts.dryRun) return this.view(t, old);
    if (key === '/namespaces') return this.deleteNamespace(t, old);
    if (old.metadata.finalizers?.length) {
      if (old.metadata.deletionTimestamp) return this.result(t, old, opts);
      const marked = { ...clone(old), metadata: { ...clone(old.metadata), deletionTimestamp: this.now(), deletionGracePeriodSeconds: 0 } };
      const stored = this.store.put(key, marked);
      this.afterWrite(key, stored, false);
      return this.result(t, stored, opts);
    }
    const gone = this.store.remove(key, effNs, name)!;
    this.afterWrite(key, gone, true);
    return this.result(t, gone, opts);
  }

  private deleteNamespace(t: ResourceType, ns: KObject): KObject {
    const name = ns.metadata.name;
    let marked = ns;
    if (!ns.metadata.deletionTimestamp) {
      marked = this.store.put('/namespaces', { ...clone(ns), metadata: { ...clone(ns.metadata), deletionTimestamp: this.now() }, status: { phase: 'Terminating' } });
      this.afterWrite('/namespaces', marked, false);
    }
    // What the namespace controller does: delete the contents, then the namespace.
    for (const type of this.types.all().filter((x) => x.namespaced && x.storage)) {
      for (const o of this.store.list(storageKey(type), name)) {
        try {
          this.delete(type, name, o.metadata.name);
        } catch {
          /* already gone */
        }
      }
    }
    return this.view(t, this.finalizeNamespace(name) ?? marked);
  }

  private finalizeNamespace(name: string): KObject | undefined {
    const ns = this.store.get('/namespaces', undefined, name);
    if (!ns?.metadata.deletionTimestamp) return undefined;
    if (this.store.namespaceHasObjects(name, '/namespaces')) return undefined;
    const gone = this.store.remove('/namespaces', undefined, name);
    if (gone) this.afterWrite('/namespaces', gone, true);
    return gone;
  }

  private afterWrite(key: string, obj: KObject, deleted: boolean): void {
    if (key === '/services' && deleted) this.alloc.release(obj);
    if (key === 'apiextensions.k8s.io/customresourcedefinitions') this.syncCrd(obj, deleted);
    if (deleted && obj.metadata.namespace) this.finalizeNamespace(obj.metadata.namespace);
    if (this.inHook) return;
    this.inHook = true;
    try {
      for (const h of this.hooks) h(key, obj, deleted);
    } finally {
      this.inHook = false;
    }
  }

  private syncCrd(crd: KObject, deleted: boolean): void {
    this.crdSyncs++;
    const name = crd.metadata.name;
    this.types.removeCrd(name);
    if (deleted) {
      const spec = (crd as unknown as CrdObject).spec;
      const key = `${spec.group}/${spec.names.plural}`;
      for (const o of this.store.list(key)) this.store.remove(key, o.metadata.namespace, o.metadata.name);
      return;
    }
    for (const t of typesFromCrd(crd as unknown as CrdObject)) this.types.add(t);
  }

  /**
   * Creates or updates every object of a multi-document YAML text (like `kubectl apply`,
   * through server-side apply with `fieldManager`). CRDs are applied first.
   */
  applyManifests(text: string, fieldManager = 'apiserver-lite'): KObject[] {
    const objs: KObject[] = [];
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw badRequest(`invalid YAML: ${doc.errors[0]!.message}`);
      const o = doc.toJS() as KObject | null;
      if (o && typeof o === 'object') objs.push(o);
    }
    objs.sort((a, b) => Number(b.kind === 'CustomResourceDefinition') - Number(a.kind === 'CustomResourceDefinition') || Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
    return objs.map((o) => {
      const t = this.typeOfObject(o);
      const ns = t.namespaced ? o.metadata?.namespace ?? 'default' : undefined;
      return this.patch(t, ns, o.metadata?.name, PATCH_TYPES.apply, o, { fieldManager, force: true });
    });
  }
}

function unknownFields(orig: unknown, pruned: unknown, path: string): string[] {
  if (!isObj(orig)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(orig)) {
    const p = path ? `${path}.${k}` : k;
    if (!isObj(pruned) || !(k in pruned)) out.push(p);
    else if (isObj(v)) out.push(...unknownFields(v, pruned[k], p));
    else if (Array.isArray(v) && Array.isArray(pruned[k])) v.forEach((x, i) => out.push(...unknownFields(x, (pruned[k] as unknown[])[i], `${p}[${i}]`)));
  }
  return out;
}
