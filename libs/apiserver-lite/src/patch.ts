/**
 * Patch algorithms: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes strategic
 * merge patch for the kinds and lists we use. All are pure: inputs are never mutated.
 */
import { badRequest, StatusError } from './errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A deep copy of JSON data. */
export function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** RFC 7386 §2: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): any {
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, any> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6901 JSON pointer to path segments. */
function pointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw badRequest(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
export { deepEqual };

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: Json;
  from?: string;
}

function getAt(doc: any, segs: string[], full: string): any {
  let cur = doc;
  for (const s of segs) {
    if (Array.isArray(cur)) {
      const i = Number(s);
      if (!/^\d+$/.test(s) || i >= cur.length) throw new StatusError(422, 'Invalid', `jsonpatch: path "${full}" does not exist`);
      cur = cur[i];
    } else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, s)) cur = cur[s];
    else throw new StatusError(422, 'Invalid', `jsonpatch: path "${full}" does not exist`);
  }
  return cur;
}

/** Applies RFC 6902 operations in order (RFC 6902 §4). Throws a 422 {@link StatusError} on a failed op. */
export function jsonPatch(target: unknown, ops: unknown): any {
  if (!Array.isArray(ops)) throw badRequest('json patch body must be an array of operations');
  let doc: any = clone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObj(raw) || typeof raw.path !== 'string') throw badRequest('json patch operation needs "op" and "path"');
    const segs = pointer(raw.path);
    const parentSegs = segs.slice(0, -1);
    const last = segs[segs.length - 1];
    const setAt = (value: any, insert: boolean) => {
      if (last === undefined) {
        doc = value;
        return;
      }
      const parent = getAt(doc, parentSegs, raw.path);
      if (Array.isArray(parent)) {
        const i = last === '-' ? parent.length : Number(last);
        if (!(last === '-' || /^\d+$/.test(last)) || i > parent.length || (!insert && i >= parent.length))
          throw new StatusError(422, 'Invalid', `jsonpatch: index out of range in "${raw.path}"`);
        if (insert) parent.splice(i, 0, value);
        else parent[i] = value;
      } else if (isObj(parent)) {
        if (!insert && !Object.prototype.hasOwnProperty.call(parent, last)) throw new StatusError(422, 'Invalid', `jsonpatch replace operation does not apply: doc is missing key: ${raw.path}`);
        parent[last] = value;
      } else throw new StatusError(422, 'Invalid', `jsonpatch: parent of "${raw.path}" is not a container`);
    };
    const removeAt = () => {
      if (last === undefined) throw new StatusError(422, 'Invalid', 'jsonpatch: cannot remove the whole document');
      const parent = getAt(doc, parentSegs, raw.path);
      if (Array.isArray(parent)) {
        const i = Number(last);
        if (!/^\d+$/.test(last) || i >= parent.length) throw new StatusError(422, 'Invalid', `jsonpatch remove operation does not apply: doc is missing path: "${raw.path}"`);
        return parent.splice(i, 1)[0];
      }
      if (isObj(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
        const v = parent[last];
        delete parent[last];
        return v;
      }
      throw new StatusError(422, 'Invalid', `jsonpatch remove operation does not apply: doc is missing path: "${raw.path}"`);
    };
    switch (raw.op) {
      case 'add':
        setAt(clone(raw.value), true);
        break;
      case 'replace':
        setAt(clone(raw.value), false);
        break;
      case 'remove':
        removeAt();
        break;
      case 'test':
        if (!deepEqual(getAt(doc, segs, raw.path), raw.value)) throw new StatusError(422, 'Invalid', `jsonpatch: test operation failed at "${raw.path}"`);
        break;
      case 'copy':
      case 'move': {
        if (typeof raw.from !== 'string') throw badRequest(`json patch ${raw.op} needs "from"`);
        const fromSegs = pointer(raw.from);
        const v = clone(getAt(doc, fromSegs, raw.from));
        if (raw.op === 'move') {
          const parent = getAt(doc, fromSegs.slice(0, -1), raw.from);
          const k = fromSegs[fromSegs.length - 1]!;
          if (Array.isArray(parent)) parent.splice(Number(k), 1);
          else delete parent[k];
        }
        setAt(v, true);
        break;
      }
      default:
        throw badRequest(`unknown json patch op "${(raw as { op: string }).op}"`);
    }
  }
  return doc;
}

/**
 * Merge keys of the lists that Kubernetes merges by key in a strategic merge patch
 * (`patchStrategy:"merge" patchMergeKey:"…"` tags in k8s.io/api). Keyed by the list's field
 * name; the value `''` marks a list of primitives merged as a set. Lists not named here are
 * replaced, as with a merge patch.
 */
export const STRATEGIC_MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  tolerations: '',
  finalizers: '',
  // ServiceSpec.ports has patchMergeKey "port"; ContainerPort lists use containerPort.
  ports: 'port',
  topologySpreadConstraints: 'topologyKey',
};

function mergeKeyFor(field: string, list: unknown[]): string | undefined {
  const k = STRATEGIC_MERGE_KEYS[field];
  if (k === undefined) return undefined;
  if (field === 'ports' && list.some((x) => isObj(x) && 'containerPort' in x)) return 'containerPort';
  if (field === 'tolerations') return undefined;
  return k;
}

/**
 * Kubernetes strategic merge patch for the lists in {@link STRATEGIC_MERGE_KEYS}, including the
 * `$patch: delete|replace`, `$retainKeys`, `$setElementOrder/<list>` and
 * `$deleteFromPrimitiveList/<list>` directives kubectl sends. Other lists are replaced.
 */
export function strategicMergePatch(target: unknown, patch: unknown): any {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  let out: Record<string, any> = isObj(target) ? { ...target } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set<string>(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  const orders: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders[k.slice('$setElementOrder/'.length)] = v as unknown[];
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      const del = new Set((v as unknown[]).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[f])) out[f] = (out[f] as unknown[]).filter((x) => !del.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v) && Array.isArray(out[k])) {
      const key = mergeKeyFor(k, [...(out[k] as unknown[]), ...v]);
      if (key === '') out[k] = [...new Map([...(out[k] as unknown[]), ...v].map((x) => [JSON.stringify(x), x])).values()];
      else if (key !== undefined) out[k] = mergeList(out[k] as unknown[], v, key);
      else out[k] = stripDirectives(v);
      continue;
    }
    if (Array.isArray(v)) {
      out[k] = stripDirectives(v.filter((x) => !(isObj(x) && x.$patch === 'delete')));
      continue;
    }
    const merged = isObj(v) ? strategicMergePatch(out[k], v) : clone(v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  for (const [f, order] of Object.entries(orders)) {
    const list = out[f];
    if (!Array.isArray(list)) continue;
    const key = mergeKeyFor(f, list);
    const id = (x: unknown) => (key && isObj(x) ? JSON.stringify(x[key]) : JSON.stringify(x));
    const rank = new Map(order.map((x, i) => [id(x), i]));
    out[f] = [...list].sort((a, b) => (rank.get(id(a)) ?? Infinity) - (rank.get(id(b)) ?? Infinity));
  }
  return out;
}

function mergeList(live: unknown[], patch: unknown[], key: string): unknown[] {
  const out = [...live];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = out.findIndex((x) => isObj(x) && deepEqual(x[key], item[key]));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(v: any): any {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Record<string, any> = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}
