/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io`): the `Table` objects
 * `kubectl get` asks for, with CRD `additionalPrinterColumns` and the columns kube-apiserver
 * prints for the built-in kinds we serve (Services show TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S)).
 */
import type { PrinterColumn, ResourceType } from './resources.js';
import type { KObject } from './store.js';

/** One column of a Table. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** `includeObject` of the request. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Kubernetes' `duration.HumanDuration` (the AGE column). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) {
    const y = Math.floor(h / 24 / 365);
    const d = Math.floor(h / 24) - y * 365;
    return d === 0 ? `${y}y` : `${y}y${d}d`;
  }
  return `${Math.floor(h / 24 / 365)}y`;
}

/** Evaluates the JSONPath subset printer columns use: `.a.b`, `.a[0].b`, `.a[*].b`, `.a['x.y']`. */
export function jsonPathValues(obj: unknown, path: string): unknown[] {
  const tokens: (string | number | '*')[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\[\*\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  const p = path.trim().replace(/^\{|\}$/g, '');
  let m: RegExpExecArray | null;
  let i = 0;
  while (i < p.length && (re.lastIndex = i, (m = re.exec(p)))) {
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(Number(m[2]));
    else if (m[3] !== undefined || m[4] !== undefined) tokens.push((m[3] ?? m[4])!);
    else tokens.push('*');
    i = re.lastIndex;
  }
  if (i < p.length) return [];
  let cur: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (t === '*') {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === 'object') next.push(...Object.values(v));
      } else if (typeof t === 'number') {
        if (Array.isArray(v) && t < v.length) next.push(v[t]);
      } else if (v && typeof v === 'object' && !Array.isArray(v) && (v as Record<string, unknown>)[t] !== undefined) next.push((v as Record<string, unknown>)[t]);
    }
    cur = next;
  }
  return cur;
}

const NAME_COLUMN: TableColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
const AGE_COLUMN: TableColumn = { name: 'Age', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 };

type Printer = { columns: TableColumn[]; cells(o: KObject, now: number): unknown[] };

const age = (o: KObject, now: number) => (o.metadata.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>');
const col = (name: string, priority = 0, type = 'string'): TableColumn => ({ name, type, format: '', description: '', priority });

function servicePorts(o: KObject): string {
  const ports = (Array.isArray(o.spec?.ports) ? o.spec.ports : []) as { port?: number; nodePort?: number; protocol?: string }[];
  if (!ports.length) return '<none>';
  return ports.map((p) => p ?? {}).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function externalIPs(o: KObject): string {
  const lb = ((o.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[]).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const ext = (o.spec?.externalIPs ?? []) as string[];
  const all = [...lb, ...ext];
  if (all.length) return all.join(',');
  if (o.spec?.type === 'LoadBalancer') return '<pending>';
  return '<none>';
}

/** Columns kube-apiserver prints for the built-in kinds (the subset we serve). */
const BUILTIN_PRINTERS: Record<string, Printer> = {
  '/services': {
    columns: [NAME_COLUMN, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE_COLUMN, col('Selector', 1)],
    cells: (o, now) => [o.metadata.name, o.spec?.type ?? 'ClusterIP', o.spec?.clusterIP ?? '<none>', externalIPs(o), servicePorts(o), age(o, now), Object.entries(o.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'],
  },
  '/namespaces': { columns: [NAME_COLUMN, col('Status'), AGE_COLUMN], cells: (o, now) => [o.metadata.name, o.status?.phase ?? 'Active', age(o, now)] },
  '/pods': {
    columns: [NAME_COLUMN, col('Ready'), col('Status'), AGE_COLUMN, col('IP', 1), col('Node', 1)],
    cells: (o, now) => {
      const ready = (o.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Ready' && c.status === 'True');
      return [o.metadata.name, ready ? 'True' : 'False', o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? 'Pending'), age(o, now), o.status?.podIP ?? '<none>', o.spec?.nodeName ?? '<none>'];
    },
  },
  '/nodes': { columns: [NAME_COLUMN, col('Status'), AGE_COLUMN], cells: (o, now) => [o.metadata.name, (o.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady', age(o, now)] },
  'discovery.k8s.io/endpointslices': {
    columns: [NAME_COLUMN, col('AddressType'), col('Ports'), col('Endpoints'), AGE_COLUMN],
    cells: (o, now) => [o.metadata.name, o.addressType ?? '', ((o.ports ?? []) as { port?: number }[]).map((p) => p.port).join(',') || '<unset>', ((o.endpoints ?? []) as { addresses?: string[] }[]).flatMap((e) => e.addresses ?? []).join(',') || '<unset>', age(o, now)],
  },
  '/configmaps': { columns: [NAME_COLUMN, col('Data', 0, 'integer'), AGE_COLUMN], cells: (o, now) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o, now)] },
  '/secrets': { columns: [NAME_COLUMN, col('Type'), col('Data', 0, 'integer'), AGE_COLUMN], cells: (o, now) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length + Object.keys(o.stringData ?? {}).length, age(o, now)] },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message'), { ...NAME_COLUMN, priority: 1 }],
    cells: (o, now) => {
      const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
      const io = o.involvedObject ?? {};
      return [last ? humanDuration(now - Date.parse(last)) : '<unknown>', o.type ?? '', o.reason ?? '', `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`, o.message ?? '', o.metadata.name];
    },
  },
  'coordination.k8s.io/leases': { columns: [NAME_COLUMN, col('Holder'), AGE_COLUMN], cells: (o, now) => [o.metadata.name, o.spec?.holderIdentity ?? '', age(o, now)] },
  'apiextensions.k8s.io/customresourcedefinitions': { columns: [NAME_COLUMN, col('Created At', 0, 'date')], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] },
};

function crdPrinter(cols: PrinterColumn[]): Printer {
  return {
    columns: [NAME_COLUMN, ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 }))],
    cells: (o, now) => [
      o.metadata.name,
      ...cols.map((c) => {
        const vals = jsonPathValues(o, c.jsonPath);
        if (vals.length === 0) return null;
        const v = vals.length === 1 ? vals[0] : vals;
        if (c.type === 'date' && typeof v === 'string') return humanDuration(now - Date.parse(v));
        if (typeof v === 'object' && v !== null) return JSON.stringify(v);
        if (c.type === 'integer' || c.type === 'number' || c.type === 'boolean') return v;
        return String(v);
      }),
    ],
  };
}

/**
 * A row's cells, never throwing: one malformed stored object must not make every list of its
 * kind fail. Its name is printed and the other cells say `<invalid>`.
 */
function safeCells(p: Printer, o: KObject, now: number): unknown[] {
  try {
    return p.cells(o, now);
  } catch {
    return p.columns.map((c, i) => (i === 0 && c.format === 'name' ? o.metadata?.name : '<invalid>'));
  }
}

/** The printer for a type. */
export function printerFor(t: ResourceType): Printer {
  if (t.crd) return t.printerColumns?.length ? crdPrinter(t.printerColumns) : { columns: [NAME_COLUMN, AGE_COLUMN], cells: (o, now) => [o.metadata.name, age(o, now)] };
  return BUILTIN_PRINTERS[`${t.group}/${t.plural}`] ?? { columns: [NAME_COLUMN, AGE_COLUMN], cells: (o, now) => [o.metadata.name, age(o, now)] };
}

/** A `meta.k8s.io` Table of `items`. */
export function toTable(t: ResourceType, items: KObject[], opts: { now: number; version: 'v1' | 'v1beta1'; include: IncludeObject; resourceVersion?: string; continue?: string; headers?: boolean }): unknown {
  const p = printerFor(t);
  const metadata: Record<string, unknown> = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata,
    columnDefinitions: opts.headers === false ? [] : p.columns,
    rows: items.map((o) => {
      const row: Record<string, unknown> = { cells: safeCells(p, o, opts.now) };
      if (opts.include === 'Object') row.object = o;
      else if (opts.include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${opts.version}`, metadata: o.metadata };
      return row;
    }),
  };
}

/** The Table version a request's `Accept` header asks for, or undefined for plain JSON. */
export function tableVersion(accept: string | undefined): 'v1' | 'v1beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((x) => x.trim().split('=') as [string, string]),
    );
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') {
      const v = params.get('v');
      if (v === 'v1' || v === 'v1beta1') return v;
    }
    if (part.trim().startsWith('application/json') && !params.has('as')) return undefined;
  }
  return undefined;
}
