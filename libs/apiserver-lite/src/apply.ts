/**
 * Server-side apply: field ownership per manager (`metadata.managedFields`, `FieldsV1`),
 * conflict detection, removal of fields a manager stopped applying, and ownership updates for
 * ordinary writes. Simplification (documented in the README): lists are atomic (owned whole),
 * objects and maps are granular.
 */
import { StatusError, type StatusCause } from './errors.js';
import { clone, deepEqual } from './patch.js';
import type { KObject } from './store.js';

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One `managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Metadata fields nobody owns. */
const SYSTEM_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

/** Leaf field paths of an object (paths are arrays of keys, JSON-encoded as strings). */
export function fieldPaths(obj: unknown): Set<string> {
  const out = new Set<string>();
  const rec = (v: unknown, path: string[]) => {
    if (isObj(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) {
        if (path.length === 0 && (k === 'apiVersion' || k === 'kind')) continue;
        if (path.length === 1 && path[0] === 'metadata' && SYSTEM_META.has(k)) continue;
        rec(x, [...path, k]);
      }
    } else if (path.length > 0) out.add(JSON.stringify(path));
  };
  rec(obj, []);
  return out;
}

/** `FieldsV1` (`{"f:spec": {"f:x": {}}}`) from paths. */
export function toFieldsV1(paths: Set<string>): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const p of paths) {
    let cur = root;
    for (const seg of JSON.parse(p) as string[]) cur = cur[`f:${seg}`] ??= {};
  }
  return root;
}

/** Paths from `FieldsV1`. */
export function fromFieldsV1(f: unknown): Set<string> {
  const out = new Set<string>();
  const rec = (v: unknown, path: string[]) => {
    const keys = isObj(v) ? Object.keys(v).filter((k) => k.startsWith('f:')) : [];
    if (keys.length === 0) {
      if (path.length) out.add(JSON.stringify(path));
      return;
    }
    for (const k of keys) rec((v as Record<string, unknown>)[k], [...path, k.slice(2)]);
  };
  rec(f, []);
  return out;
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur: any = obj;
  for (const s of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[s];
  }
  return cur;
}

function deletePath(obj: Record<string, any>, path: string[]): void {
  const parents: Record<string, any>[] = [];
  let cur: any = obj;
  for (const s of path.slice(0, -1)) {
    if (!isObj(cur[s])) return;
    parents.push(cur);
    cur = cur[s];
  }
  delete cur[path[path.length - 1]!];
  // Drop objects left empty by the removal.
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = parents[i]!;
    const k = path[i]!;
    if (isObj(parent[k]) && Object.keys(parent[k]).length === 0) delete parent[k];
    else break;
  }
}

/** Deep merge used by apply: objects merge, everything else (lists included) replaces. */
function applyMerge(live: unknown, cfg: unknown): unknown {
  if (!isObj(cfg) || !isObj(live)) return clone(cfg);
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(cfg)) out[k] = applyMerge(out[k], v);
  return out;
}

function entries(obj: KObject | undefined): ManagedFieldsEntry[] {
  return ((obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[]).filter((e) => e && typeof e.manager === 'string');
}

/** Inputs of {@link serverSideApply}. */
export interface ApplyRequest {
  live: KObject | undefined;
  applied: KObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  time: string;
  subresource?: string;
  /**
   * Whether the kind has a status subresource: then an apply to the main resource owns nothing
   * under `status` (the server keeps the stored status), as an apply to `/status` owns nothing
   * outside it. @default false
   */
  statusSubresource?: boolean;
}

/** The applied fields a request can own: only `status` through `/status`, all but `status` on the main resource of a kind with the subresource. */
function ownable(paths: Set<string>, req: ApplyRequest): Set<string> {
  const underStatus = (p: string) => (JSON.parse(p) as string[])[0] === 'status';
  if (req.subresource === 'status') return new Set([...paths].filter(underStatus));
  if (req.statusSubresource) return new Set([...paths].filter((p) => !underStatus(p)));
  return paths;
}

/**
 * Applies `applied` as `manager`: returns the merged object with updated `managedFields`, or
 * throws a 409 `Conflict` listing each field another manager owns with a different value
 * (unless `force`, which takes the fields over).
 */
export function serverSideApply(req: ApplyRequest): KObject {
  const mine = ownable(fieldPaths(req.applied), req);
  const all = entries(req.live);
  const others = all.filter((e) => !(e.manager === req.manager && e.operation === 'Apply' && (e.subresource ?? '') === (req.subresource ?? '')));
  const previous = all.find((e) => e.manager === req.manager && e.operation === 'Apply' && (e.subresource ?? '') === (req.subresource ?? ''));
  const conflicts: StatusCause[] = [];
  const otherSets = others.map((e) => ({ e, set: fromFieldsV1(e.fieldsV1) }));
  for (const { e, set } of otherSets) {
    for (const p of mine) {
      if (!set.has(p)) continue;
      const path = JSON.parse(p) as string[];
      if (deepEqual(getPath(req.live, path), getPath(req.applied, path))) continue;
      if (req.force) set.delete(p);
      else conflicts.push({ reason: 'FieldManagerConflict', message: `conflict with "${e.manager}"${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`, field: `.${path.join('.')}` });
    }
  }
  if (conflicts.length) {
    const list = conflicts.map((c) => `${c.message}: ${c.field}`).join('\n- ');
    throw new StatusError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.length > 1 ? `\n- ${list}` : list}`, { causes: conflicts });
  }
  const merged = (req.live ? applyMerge(stripSystem(req.live), req.applied) : clone(req.applied)) as KObject;
  // Fields this manager applied before and no longer applies, and nobody else owns, are removed.
  if (previous && req.live) {
    const owned = new Set<string>();
    for (const { set } of otherSets) for (const p of set) owned.add(p);
    for (const p of fromFieldsV1(previous.fieldsV1)) if (!mine.has(p) && !owned.has(p)) deletePath(merged as Record<string, any>, JSON.parse(p));
  }
  // No re-merge of the live metadata here: applyMerge already kept it, and a label or annotation
  // removed just above must stay removed.
  const newEntries: ManagedFieldsEntry[] = otherSets.filter(({ set }) => set.size > 0).map(({ e, set }) => ({ ...e, fieldsV1: toFieldsV1(set) }));
  const entry: ManagedFieldsEntry = { manager: req.manager, operation: 'Apply', apiVersion: req.apiVersion, time: req.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine) };
  if (req.subresource) entry.subresource = req.subresource;
  newEntries.push(entry);
  merged.metadata.managedFields = newEntries;
  return merged;
}

function stripSystem(o: KObject): KObject {
  return clone(o);
}

/**
 * Records an ordinary write (create, update, patch) by `manager`: the fields it changed become
 * its own (`operation: Update`) and are taken from every other manager.
 */
export function recordUpdate(old: KObject | undefined, next: KObject, manager: string, apiVersion: string, time: string, subresource?: string): ManagedFieldsEntry[] {
  const before = fieldPaths(old ?? {});
  const after = fieldPaths(next);
  const changed = new Set<string>();
  for (const p of after) {
    const path = JSON.parse(p) as string[];
    if (!before.has(p) || !deepEqual(getPath(old, path), getPath(next, path))) changed.add(p);
  }
  const result: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of entries(old)) {
    const set = fromFieldsV1(e.fieldsV1);
    for (const p of [...set]) if (!after.has(p) || (changed.has(p) && !(e.manager === manager && e.operation === 'Update'))) set.delete(p);
    if (e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '')) {
      for (const p of changed) set.add(p);
      mine = { ...e, time: changed.size ? time : e.time, fieldsV1: toFieldsV1(set) };
      if (set.size) result.push(mine);
    } else if (set.size) result.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  if (!mine && changed.size) {
    const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(changed) };
    if (subresource) entry.subresource = subresource;
    result.push(entry);
  }
  return result;
}
