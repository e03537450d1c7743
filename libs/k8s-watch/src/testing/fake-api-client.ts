/**
 * An in-memory, scriptable {@link ApiClient} for unit tests: a tiny API server (objects, one
 * resourceVersion counter, event history) plus a fault script that makes the next calls fail,
 * stall, expire, or stream hand-written events (duplicates, out-of-order, garbage).
 */
import type { Clock } from '@metallb-ts/clock';
import { parseSelectorText, requirementsMatch } from '@metallb-ts/labels';
import {
  ApiError,
  PatchType,
  type ApiClient,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type PatchContentType,
  type ResourceRef,
  type Status,
  type WatchEvent,
  type WatchOptions,
  type WriteQuery,
} from '../types.js';

/** A recorded call. */
export interface FakeCall {
  op: 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  namespace?: string;
  name?: string;
  resourceVersion?: string;
  options?: unknown;
  body?: unknown;
  patchType?: string;
  subresource?: string;
}

/** A scripted misbehaviour for the next matching call. */
export interface Fault {
  op: FakeCall['op'];
  /** Fail with this error (after `delayMs`). */
  error?: ApiError;
  /** Wait this long on the clock first ("slow response"). */
  delayMs?: number;
  /** For `watch`: stream exactly these events instead of live ones… */
  events?: WatchEvent[];
  /** …then: end cleanly (`close`, default), stay open silently (`hang`), or break (`error`). */
  then?: 'close' | 'hang' | 'error';
}

interface Stream {
  key: string;
  namespace?: string;
  push(ev: WatchEvent | Error | null): void;
}

const keyOf = (r: ResourceRef) => `${r.group}/${r.plural}`;
const idOf = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;

/** The fake. */
export class FakeApiClient implements ApiClient {
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  private rv = 0;
  private compactedRv = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: { rv: number; key: string; ev: WatchEvent }[] = [];
  private readonly faults: Fault[] = [];
  private readonly streams = new Set<Stream>();

  constructor(private readonly clock: Clock) {}

  /** Queues a fault; faults are consumed in order by the first call of their `op`. */
  inject(...faults: Fault[]): this {
    this.faults.push(...faults);
    return this;
  }

  /** Faults not yet consumed. */
  pendingFaults(): number {
    return this.faults.length;
  }

  /** The stored objects of a resource (no call recorded, no fault consumed). */
  objectsOf(r: ResourceRef): KubeObject[] {
    return structuredClone([...(this.objects.get(keyOf(r))?.values() ?? [])]);
  }

  /** Current resourceVersion. */
  currentRv(): string {
    return String(this.rv);
  }

  /** Open watch streams. */
  openWatches(): number {
    return this.streams.size;
  }

  private takeFault(op: FakeCall['op']): Fault | undefined {
    const i = this.faults.findIndex((f) => f.op === op);
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  private async applyFault(op: FakeCall['op'], signal?: AbortSignal): Promise<Fault | undefined> {
    const f = this.takeFault(op);
    if (f?.delayMs) await this.clock.sleep(f.delayMs, signal);
    if (f?.error) throw f.error;
    return f;
  }

  private record(key: string, ev: WatchEvent, rv: number): void {
    this.history.push({ rv, key, ev });
    for (const s of this.streams) if (s.key === key && (s.namespace === undefined || s.namespace === (ev.object as KubeObject).metadata?.namespace)) s.push(ev);
  }

  /** Creates or replaces an object (server side), emitting ADDED/MODIFIED. */
  upsert<T extends KubeObject>(r: ResourceRef, obj: T): T {
    const m = this.objects.get(keyOf(r)) ?? new Map<string, KubeObject>();
    this.objects.set(keyOf(r), m);
    const id = idOf(obj.metadata.namespace, obj.metadata.name);
    const existed = m.get(id);
    const rv = ++this.rv;
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv), uid: existed?.metadata.uid ?? obj.metadata.uid ?? `uid-${rv}` } });
    m.set(id, stored);
    this.record(keyOf(r), { type: existed ? 'MODIFIED' : 'ADDED', object: stored }, rv);
    return structuredClone(stored) as T;
  }

  /** Deletes an object (server side), emitting DELETED. */
  remove(r: ResourceRef, namespace: string | undefined, name: string): void {
    const m = this.objects.get(keyOf(r));
    const o = m?.get(idOf(namespace, name));
    if (!m || !o) return;
    m.delete(idOf(namespace, name));
    const rv = ++this.rv;
    this.record(keyOf(r), { type: 'DELETED', object: { ...o, metadata: { ...o.metadata, resourceVersion: String(rv) } } }, rv);
  }

  /** Deletes without any watch event and forgets history: only a relist can notice. */
  silentRemove(r: ResourceRef, namespace: string | undefined, name: string): void {
    this.objects.get(keyOf(r))?.delete(idOf(namespace, name));
    this.rv++;
    this.compact();
  }

  /** Forgets history: watches from older versions get 410. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  /** Sends a raw event to every open watch of `r` (duplicates, out-of-order, bookmarks, errors). */
  pushRaw(r: ResourceRef, ev: WatchEvent): void {
    for (const s of this.streams) if (s.key === keyOf(r)) s.push(ev);
  }

  /** Ends every open watch cleanly. */
  closeWatches(): void {
    for (const s of [...this.streams]) s.push(null);
  }

  /** Breaks every open watch with an error (a dropped connection). */
  breakWatches(err = new ApiError(0, 'Transport', 'connection reset')): void {
    for (const s of [...this.streams]) s.push(err);
  }

  async list<T extends KubeObject>(r: ResourceRef, o: ListOptions = {}): Promise<ListResult<T>> {
    this.calls.push({ op: 'list', resource: keyOf(r), namespace: o.namespace, options: o });
    await this.applyFault('list', o.signal);
    let items = [...(this.objects.get(keyOf(r))?.values() ?? [])].filter((x) => o.namespace === undefined || x.metadata.namespace === o.namespace);
    const selected = labelFilter(o.labelSelector);
    items = items.filter(selected);
    items.sort((a, b) => idOf(a.metadata.namespace, a.metadata.name).localeCompare(idOf(b.metadata.namespace, b.metadata.name)));
    const start = o.continue ? Number(o.continue) : 0;
    const end = o.limit ? start + o.limit : items.length;
    return { items: structuredClone(items.slice(start, end)) as T[], resourceVersion: String(this.rv), continue: end < items.length ? String(end) : undefined };
  }

  watch<T extends KubeObject>(r: ResourceRef, o: WatchOptions): AsyncIterable<WatchEvent<T>> {
    this.calls.push({ op: 'watch', resource: keyOf(r), namespace: o.namespace, resourceVersion: o.resourceVersion, options: o });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const fault = await self.applyFault('watch', o.signal);
        const selected = labelFilter(o.labelSelector);
        const queue: (WatchEvent | Error | null)[] = [];
        let wake: (() => void) | undefined;
        const stream: Stream = {
          key: keyOf(r),
          namespace: o.namespace,
          push(ev) {
            queue.push(ev);
            wake?.();
          },
        };
        let tracked: Stream | undefined;
        const onAbort = () => stream.push(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        o.signal?.addEventListener('abort', onAbort, { once: true });
        if (o.signal?.aborted) onAbort();
        if (fault?.events) {
          for (const ev of fault.events) queue.push(ev);
          if ((fault.then ?? 'close') === 'close') queue.push(null);
          else if (fault.then === 'error') queue.push(new ApiError(0, 'Transport', 'scripted stream error'));
          else {
            tracked = { ...stream, push: (ev) => (ev === null || ev instanceof Error ? stream.push(ev) : undefined) };
            self.streams.add(tracked);
          }
        } else {
          const from = o.resourceVersion === '' || o.resourceVersion === '0' ? self.rv : Number(o.resourceVersion);
          if (from < self.compactedRv) {
            queue.push({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: `too old resource version: ${from} (${self.compactedRv})` } satisfies Status });
            queue.push(null);
          } else {
            if (o.resourceVersion === '' || o.resourceVersion === '0') for (const x of self.objects.get(keyOf(r))?.values() ?? []) queue.push({ type: 'ADDED', object: structuredClone(x) });
            for (const h of self.history) if (h.key === keyOf(r) && h.rv > from) queue.push(structuredClone(h.ev));
            tracked = stream;
            self.streams.add(stream);
          }
        }
        try {
          for (;;) {
            while (queue.length === 0) await new Promise<void>((res) => (wake = res));
            wake = undefined;
            const ev = queue.shift()!;
            if (ev === null) return;
            if (ev instanceof Error) throw ev;
            if (ev.type !== 'BOOKMARK' && ev.type !== 'ERROR' && !selected(ev.object)) continue;
            yield structuredClone(ev) as WatchEvent<T>;
          }
        } finally {
          o.signal?.removeEventListener('abort', onAbort);
          if (tracked) self.streams.delete(tracked);
        }
      },
    };
  }

  private need(r: ResourceRef, namespace: string | undefined, name: string): KubeObject {
    const o = this.objects.get(keyOf(r))?.get(idOf(namespace, name));
    if (!o) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`, { kind: 'Status', code: 404, reason: 'NotFound', message: `${r.plural} "${name}" not found` });
    return o;
  }

  async get<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, subresource?: string): Promise<T> {
    this.calls.push({ op: 'get', resource: keyOf(r), namespace, name, subresource });
    await this.applyFault('get');
    return structuredClone(this.need(r, namespace, name)) as T;
  }

  async create<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q?: WriteQuery): Promise<T> {
    this.calls.push({ op: 'create', resource: keyOf(r), namespace, name: body.metadata.name, body: structuredClone(body), options: q });
    await this.applyFault('create');
    if (this.objects.get(keyOf(r))?.has(idOf(namespace, body.metadata.name))) throw new ApiError(409, 'AlreadyExists', `${r.plural} "${body.metadata.name}" already exists`);
    return this.upsert(r, { ...body, metadata: { ...body.metadata, namespace } });
  }

  async update<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q?: WriteQuery, subresource?: string): Promise<T> {
    this.calls.push({ op: 'update', resource: keyOf(r), namespace, name: body.metadata.name, body: structuredClone(body), options: q, subresource });
    await this.applyFault('update');
    const cur = this.need(r, namespace, body.metadata.name);
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== cur.metadata.resourceVersion) throw conflictError(r, body.metadata.name);
    const next = subresource === 'status' ? { ...cur, status: body.status } : { ...body, status: cur.status };
    return this.upsert(r, { ...next, metadata: { ...next.metadata, namespace } }) as unknown as T;
  }

  async patch<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, type: PatchContentType, body: unknown, q?: WriteQuery, subresource?: string): Promise<T> {
    this.calls.push({ op: 'patch', resource: keyOf(r), namespace, name, body: structuredClone(body), patchType: type, options: q, subresource });
    await this.applyFault('patch');
    const existing = this.objects.get(keyOf(r))?.get(idOf(namespace, name));
    if (!existing && type !== PatchType.apply) this.need(r, namespace, name);
    const merged = mergePatch(existing ?? {}, body) as KubeObject;
    return this.upsert(r, { ...merged, metadata: { ...merged.metadata, name, namespace } }) as T;
  }

  async delete(r: ResourceRef, namespace: string | undefined, name: string): Promise<void> {
    this.calls.push({ op: 'delete', resource: keyOf(r), namespace, name });
    await this.applyFault('delete');
    this.need(r, namespace, name);
    this.remove(r, namespace, name);
  }
}

/** A 409 Conflict exactly as a real server words it. */
export function conflictError(r: ResourceRef, name: string): ApiError {
  const message = `Operation cannot be fulfilled on ${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
  return new ApiError(409, 'Conflict', message, { kind: 'Status', code: 409, reason: 'Conflict', message });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * `?labelSelector=` as a real server reads it (every form: `a=b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, `n>4`), parsed and matched by `@metallb-ts/labels`. A malformed
 * selector is a 400, as the real server answers.
 */
function labelFilter(sel: string | undefined): (o: KubeObject) => boolean {
  const r = parseSelectorText(sel ?? '');
  if (!r.ok) {
    const message = `unable to parse requirement: ${r.error.detail}`;
    throw new ApiError(400, 'BadRequest', message, { kind: 'Status', code: 400, reason: 'BadRequest', message });
  }
  return (o) => requirementsMatch(r.requirements, o.metadata.labels);
}
