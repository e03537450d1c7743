/**
 * The HTTP front of the API server: routing of `/api` and `/apis` paths, discovery documents,
 * list/watch (chunked, one JSON event per line, bookmarks, 410 Gone), and `Status` errors.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, systemRng, type Clock, type Rng, type TimerHandle } from '@metallb-ts/clock';
import { parse as parseYaml } from 'yaml';
import { Api, type Selection, type WriteOptions } from './api.js';
import { PATCH_TYPES } from './patch-types.js';
import { badRequest, expired, methodNotAllowed, StatusError } from './errors.js';
import { exceedsDepth, MAX_DEPTH } from './depth.js';
import { apiVersionOf, compareVersions, storageKey, type ResourceType } from './resources.js';
import type { ChangeEvent, KObject, Persistence } from './store.js';
import { tableVersion, toTable, type IncludeObject } from './table.js';
import { decodeKubeProtobuf, PROTOBUF_MEDIA_TYPE, ProtobufDecodeError } from './protobuf.js';

/** `GET /version`. */
export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

/** Default `/version`: kubectl's dispatcher picks its kubectl minor from it. */
export const DEFAULT_VERSION: VersionInfo = { major: '1', minor: '31', gitVersion: 'v1.31.0-apiserver-lite' };

/** Options of {@link ApiServer}. */
export interface ApiServerOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default systemRng */
  rng?: Rng;
  /** Where state survives restarts; in memory only when absent. */
  persistence?: Persistence;
  /** Change events kept for watch resumption. @default 10000 */
  historySize?: number;
  /** How often watches that asked for bookmarks get one. @default 60000 */
  bookmarkIntervalMs?: number;
  /** `/version`. @default DEFAULT_VERSION */
  version?: VersionInfo;
  /** Maintain EndpointSlices for Services with selectors from ready Pods. @default true */
  simulateControllers?: boolean;
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Serve HTTPS with this PEM certificate and key; `ca` (default: the certificate itself, when self-signed) goes into written kubeconfigs. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
}

/** One request as seen by the server, for test assertions. */
export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  status?: number;
}

interface OpenWatch {
  res: ServerResponse;
  end(): void;
}

interface Route {
  group: string;
  version: string;
  namespace?: string;
  plural?: string;
  name?: string;
  subresource?: string;
}

/** Parses `/api/v1/...` and `/apis/G/V/...` into a {@link Route}; undefined for other paths. */
export function parseRoute(path: string): Route | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;
  if (rest.length === 0) return { group, version };
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    return { group, version, namespace: rest[1], plural: rest[2], name: rest[3], subresource: rest[4] };
  }
  return { group, version, plural: rest[0], name: rest[1], subresource: rest[2] };
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * An in-memory Kubernetes API server over node `http` (or `https`). Create it, `listen()`, point
 * kubectl or client-node at {@link ApiServer.url}.
 */
export class ApiServer {
  /** The API semantics (use it to seed objects in-process). */
  readonly api: Api;
  /** Every request, in order (the last 10,000 to 11,000). */
  readonly requests: RequestLogEntry[] = [];
  private readonly clock: Clock;
  private readonly server: Server;
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private readonly listSnapshots = new Map<string, { rv: number; items: KObject[] }>();
  private snapshotSeq = 0;
  /**
   * The watch lines of the change being fanned out: every watcher of a resource gets the same
   * bytes, so a change is serialised once per (event type, apiVersion), not once per watcher.
   * Only the last change is kept (the store sends one change to all its watchers in a row).
   */
  private readonly lines = { object: undefined as KObject | undefined, byVariant: new Map<string, string>() };

  constructor(readonly opts: ApiServerOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    // Group commit: the writes of one event-loop turn share one fsync; answers wait for it.
    this.api = new Api({ clock: this.clock, rng: opts.rng ?? systemRng, persistence: opts.persistence, historySize: opts.historySize, simulateControllers: opts.simulateControllers, groupCommit: true });
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Starts listening; port 0 picks a free port. Resolves with the base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.url;
  }

  /** `http://127.0.0.1:PORT` (or https). */
  get url(): string {
    const a = this.server.address() as AddressInfo | null;
    if (!a) throw new Error('the server is not listening');
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  /** Stops: ends watches, closes connections, writes the snapshot. */
  async close(): Promise<void> {
    this.api.stop();
    this.closeWatches();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.api.store.close();
  }

  /** Test hook: ends every open watch cleanly (clients resume from their last resourceVersion). */
  closeWatches(): number {
    const n = this.watches.size;
    for (const w of [...this.watches]) w.end();
    return n;
  }

  /** Test hook: cuts every open watch's connection abruptly (no chunked terminator). */
  dropWatches(): number {
    const n = this.watches.size;
    for (const w of [...this.watches]) w.res.socket?.destroy();
    return n;
  }

  /** Test hook: forgets history, so a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.api.store.compact();
  }

  /** Number of open watches. */
  watchCount(): number {
    return this.watches.size;
  }

  private log(e: RequestLogEntry): void {
    this.requests.push(e);
    // Trimmed in batches: the log is bounded without an O(n) shift per request.
    if (this.requests.length > 11_000) this.requests.splice(0, this.requests.length - 10_000);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query, contentType: req.headers['content-type'], authorization: req.headers.authorization };
    this.log(entry);
    try {
      if (this.opts.token !== undefined && !bearerMatches(req.headers.authorization, this.opts.token)) {
        throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      }
      const bytes = await readBody(req);
      const body = bytes.toString('utf8');
      // Nothing is answered from state that is not durable yet (group commit): reads and
      // watches start after the pending sync, and every answer waits for the writes before it.
      if (req.method === 'GET') await this.durable(false);
      const result = this.route(req, res, url.pathname, query, body, entry, bytes);
      if (result !== undefined) {
        await this.durable(true);
        sendJson(res, result.status ?? 200, result.body, entry);
      }
    } catch (e) {
      const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (!res.headersSent) {
        await this.durable(false);
        sendJson(res, err.code, err.toStatus(), entry);
      } else res.end();
    }
  }

  /** Waits until every committed change is durable (a no-op without group commit or pending writes); `own` rethrows a failed sync. */
  private async durable(own: boolean): Promise<void> {
    const d = this.api.store.whenDurable();
    if (!d) return;
    if (own) await d;
    else await d.catch(() => undefined);
  }

  private route(req: IncomingMessage, res: ServerResponse, path: string, q: Record<string, string>, raw: string, entry: RequestLogEntry, bytes: Buffer): { status?: number; body: unknown } | undefined {
    const method = req.method ?? 'GET';
    if (path === '/version') return { body: this.opts.version ?? DEFAULT_VERSION };
    if (['/healthz', '/readyz', '/livez'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      entry.status = 200;
      return undefined;
    }
    if (path === '/openapi/v3' || path === '/openapi/v3/') return { body: this.openapiRoot() };
    const oa = path.match(/^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/);
    if (oa) return { body: this.openapiGroupVersion(oa[1]!) };
    if (path === '/api' || path === '/api/') return { body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }] } };
    if (path === '/apis' || path === '/apis/') return { body: this.groupList() };
    const gm = path.match(/^\/apis\/([^/]+)\/?$/);
    if (gm) {
      const g = this.groupList().groups.find((x) => x.name === gm[1]);
      if (!g) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      return { body: { kind: 'APIGroup', apiVersion: 'v1', ...g } };
    }
    const r = parseRoute(path);
    if (!r) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (!r.plural) {
      if (!this.api.types.all().some((t) => t.group === r.group && t.version === r.version)) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      return { body: this.resourceList(r.group, r.version) };
    }
    const t = this.api.types.get(r.group, r.version, r.plural);
    // kube-apiserver names nothing here: an unknown resource is the generic 404 with empty details.
    if (!t || (r.namespace && !t.namespaced)) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (r.subresource && r.subresource !== 'status') throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${r.subresource})`);
    if (r.subresource === 'status' && !t.statusSubresource) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    // Bodies are decoded per request and answers only serialised: no defensive copies (serialiseOnly).
    const wopts: WriteOptions = { fieldManager: q.fieldManager, dryRun: q.dryRun === 'All', force: q.force === 'true', strict: q.fieldValidation === 'Strict', serialiseOnly: true };
    const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
    // kubectl 1.37 sends protobuf on create for some built-in kinds (and does not retry a 415 as
    // JSON): those are decoded; other media types, and protobuf of kinds without a decoding
    // table, get kube-apiserver's 415 for a body it cannot decode.
    const protobuf = ct === PROTOBUF_MEDIA_TYPE && bytes.length > 0 && (method === 'POST' || method === 'PUT');
    if (raw !== '' && (method === 'POST' || method === 'PUT') && !protobuf && !isDecodable(ct)) throw unsupportedBody();
    const parse = () => (protobuf ? decodeProtobufBody(bytes) : parseBody(raw, ct));
    const ns = t.namespaced ? r.namespace : undefined;
    if (!r.name) {
      if (method === 'GET') {
        const sel = this.api.selection(q.labelSelector, q.fieldSelector, t);
        if (q.watch === 'true' || q.watch === '1') {
          this.watch(t, ns, sel, q, res, entry, tableVersion(req.headers.accept));
          return undefined;
        }
        const l = this.list(t, ns, sel, q);
        const tv = tableVersion(req.headers.accept);
        if (tv) return { body: toTable(t, l.items, { now: this.clock.now(), version: tv, include: includeObject(q), resourceVersion: l.metadata.resourceVersion as string, continue: l.metadata.continue as string | undefined }) };
        return { body: l };
      }
      if (method === 'POST') {
        if (t.namespaced && !r.namespace) throw methodNotAllowed();
        return { status: 201, body: this.api.create(t, ns, parse(), { ...wopts, fieldManager: wopts.fieldManager ?? userAgentManager(req) }) };
      }
      if (method === 'DELETE') {
        const sel = this.api.selection(q.labelSelector, q.fieldSelector, t);
        const { items } = this.api.list(t, ns, sel);
        for (const o of items) this.api.delete(t, o.metadata.namespace, o.metadata.name, {}, wopts);
        return { body: { kind: t.listKind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(this.api.store.currentRv()) }, items } };
      }
      throw methodNotAllowed();
    }
    const sub = r.subresource as 'status' | undefined;
    const manager = wopts.fieldManager ?? userAgentManager(req);
    switch (method) {
      case 'GET': {
        const o = this.api.get(t, ns, r.name);
        const tv = tableVersion(req.headers.accept);
        return { body: tv ? toTable(t, [o], { now: this.clock.now(), version: tv, include: includeObject(q) }) : o };
      }
      case 'PUT':
        return { body: this.api.update(t, ns, r.name, parse(), { ...wopts, fieldManager: manager }, sub) };
      case 'PATCH': {
        if (!(Object.values(PATCH_TYPES) as string[]).includes(ct)) throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`);
        const existed = !!this.api.store.get(storageKey(t), ns, r.name);
        const out = this.api.patch(t, ns, r.name, ct, parse(), { ...wopts, fieldManager: ct === PATCH_TYPES.apply ? wopts.fieldManager : manager }, sub);
        return { status: existed ? 200 : 201, body: out };
      }
      case 'DELETE': {
        const opts = raw.trim() ? (parse() as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
        const out = this.api.delete(t, ns, r.name, opts ?? {}, wopts);
        // Most kinds answer a completed delete with a Status Success; Pods, Services, Namespaces and
        // CRDs return the object, as does any delete that only marked the object (finalizers).
        if (RETURNS_DELETED.has(storageKey(t)) || out.metadata.deletionTimestamp) return { body: out };
        return { body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: out.metadata.name, ...(t.group ? { group: t.group } : {}), kind: t.plural, uid: out.metadata.uid } } };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private list(t: ResourceType, ns: string | undefined, sel: Selection, q: Record<string, string>): { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: KObject[] } {
    const limit = q.limit ? Number(q.limit) : 0;
    let items: KObject[];
    let rv: number;
    let start = 0;
    if (q.continue) {
      let tok: { id: string; off: number; rv: number };
      try {
        tok = JSON.parse(Buffer.from(q.continue, 'base64url').toString());
      } catch {
        throw badRequest('invalid continue token');
      }
      const snap = this.listSnapshots.get(tok.id);
      if (!snap || tok.rv < this.api.store.oldestWatchableRv())
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      items = snap.items;
      rv = snap.rv;
      start = tok.off;
    } else {
      const l = this.api.list(t, ns, sel);
      items = l.items;
      rv = Number(l.resourceVersion);
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    let page = items;
    if (limit > 0 && items.length - start > limit) {
      page = items.slice(start, start + limit);
      let id = q.continue ? (JSON.parse(Buffer.from(q.continue, 'base64url').toString()) as { id: string }).id : '';
      if (!id) {
        id = String(++this.snapshotSeq);
        this.listSnapshots.set(id, { rv, items });
        // Bounded: keep the 16 most recent paginated lists.
        while (this.listSnapshots.size > 16) this.listSnapshots.delete(this.listSnapshots.keys().next().value!);
      }
      metadata.continue = Buffer.from(JSON.stringify({ id, off: start + limit, rv })).toString('base64url');
      metadata.remainingItemCount = items.length - start - limit;
    } else page = items.slice(start);
    // Items of built-in kinds carry no apiVersion/kind (only the list does); custom resources' do.
    if (!t.crd) page = page.map(({ apiVersion: _a, kind: _k, ...rest }) => rest as KObject);
    return { kind: t.listKind, apiVersion: apiVersionOf(t), metadata, items: page };
  }

  private watch(t: ResourceType, ns: string | undefined, sel: Selection, q: Record<string, string>, res: ServerResponse, entry: RequestLogEntry, table?: 'v1' | 'v1beta1'): void {
    const store = this.api.store;
    const rvParam = q.resourceVersion ?? '';
    const bookmarks = q.allowWatchBookmarks === 'true' || q.allowWatchBookmarks === '1';
    const initialEvents = q.sendInitialEvents === 'true';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    entry.status = 200;
    const timers: TimerHandle[] = [];
    let closed = false;
    let unsubscribe: () => void = () => {};
    let headers = true;
    // Lines are sent once per turn of the event loop: the changes of every request handled in one
    // turn (several, under load) go out in one socket write per watcher instead of one each.
    let pending: string[] = [];
    let flushQueued = false;
    const flush = () => {
      flushQueued = false;
      if (closed || pending.length === 0) return;
      const text = pending.length === 1 ? pending[0]! : pending.join('');
      pending = [];
      res.write(text);
    };
    const send = (line: string) => {
      if (closed) return;
      pending.push(line);
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(flush);
      }
    };
    const write = (type: string, object: unknown) => {
      if (closed) return;
      // kubectl get -w asks for Tables: each ADDED/MODIFIED/DELETED carries a one-row Table.
      if (table && type !== 'ERROR' && type !== 'BOOKMARK') {
        object = toTable(t, [object as KObject], { now: this.clock.now(), version: table, include: includeObject(q), headers });
        headers = false;
      }
      send(`${JSON.stringify({ type, object })}\n`);
    };
    const w: OpenWatch = {
      res,
      end: () => {
        if (closed) return;
        // What is still queued goes out before the end (not onto a connection already gone).
        if (!res.destroyed) flush();
        closed = true;
        unsubscribe();
        for (const x of timers) x.cancel();
        this.watches.delete(w);
        res.end();
      },
    };
    this.watches.add(w);
    res.on('close', () => w.end());
    /** The watch line of a change, shared by every watcher that sends the same one. */
    const lineOf = (type: string, object: KObject): string => {
      const apiVersion = apiVersionOf(t);
      if (this.lines.object !== object) {
        this.lines.object = object;
        this.lines.byVariant.clear();
      }
      const variant = `${type} ${apiVersion} ${t.kind}`;
      let line = this.lines.byVariant.get(variant);
      if (line === undefined) {
        line = `${JSON.stringify({ type, object: { ...object, apiVersion, kind: t.kind } })}\n`;
        this.lines.byVariant.set(variant, line);
      }
      return line;
    };
    const onChange = (ev: ChangeEvent) => {
      const now = Api.selects(sel, ev.object);
      const before = ev.prev ? Api.selects(sel, ev.prev) : false;
      let type: string = ev.type;
      let object = ev.object;
      // A real apiserver turns selector transitions into ADDED/DELETED; a DELETED for an object
      // leaving the selection carries its last selected state at the event's resourceVersion.
      if (ev.type === 'MODIFIED') {
        if (now && !before) type = 'ADDED';
        else if (!now && before) {
          type = 'DELETED';
          object = { ...ev.prev!, metadata: { ...ev.prev!.metadata, resourceVersion: ev.object.metadata.resourceVersion } };
        } else if (!now) return;
      } else if (!now) return;
      // Serialised at once: a shallow relabelled view is enough (no deep copy per watcher), and
      // without Tables the line is serialised once for all watchers.
      try {
        if (table) write(type, { ...object, apiVersion: apiVersionOf(t), kind: t.kind });
        else if (!closed) send(lineOf(type, object));
      } catch (e) {
        // Never let one watcher fail a committed write: it gets an error event and ends.
        write('ERROR', new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`).toStatus());
        w.end();
      }
    };
    const sub = { key: storageKey(t), namespace: ns, send: onChange };
    if (rvParam === '' || rvParam === '0') {
      // Synthetic ADDED for the current state, then live events.
      const rv = store.currentRv();
      for (const o of this.api.list(t, ns, sel).items) write('ADDED', o);
      if (initialEvents && bookmarks) write('BOOKMARK', { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(rv), annotations: { 'k8s.io/initial-events-end': 'true' } } });
      unsubscribe = store.watch(sub, rv);
    } else {
      const from = Number(rvParam);
      if (!Number.isInteger(from) || from < 0) {
        write('ERROR', badRequest(`invalid resource version "${rvParam}"`).toStatus());
        w.end();
        return;
      }
      try {
        unsubscribe = store.watch(sub, from);
      } catch (e) {
        if (e instanceof StatusError) {
          write('ERROR', e.toStatus());
          w.end();
          return;
        }
        throw e;
      }
    }
    if (bookmarks) {
      timers.push(this.clock.setInterval(this.opts.bookmarkIntervalMs ?? 60_000, () => write('BOOKMARK', { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(store.publishedRv()) } })));
    }
    if (q.timeoutSeconds && Number(q.timeoutSeconds) > 0) timers.push(this.clock.setTimer(Number(q.timeoutSeconds) * 1000, () => w.end()));
  }

  /**
   * A minimal OpenAPI v3 root. It lists every group/version so that kubectl's field-validation
   * check finds one: kubectl then validates on the server (`fieldValidation=Strict`) instead of
   * downloading schemas, and `kubectl apply` works without `--validate=false`.
   */
  private openapiRoot(): unknown {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [g, versions] of this.api.types.groups()) for (const v of versions) {
      const key = g ? `apis/${g}/${v}` : `api/${v}`;
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${this.api.store.currentRv()}` };
    }
    return { paths };
  }

  /** Per group/version: one PATCH operation per resource, carrying its GVK and the `fieldValidation` parameter (no schemas). */
  private openapiGroupVersion(gv: string): unknown {
    const [group, version] = gv.startsWith('api/') ? ['', gv.slice(4)] : gv.slice(5).split('/') as [string, string];
    const types = this.api.types.all().filter((t) => t.group === group && t.version === version);
    if (!types.length) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const paths: Record<string, unknown> = {};
    const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' }, uniqueItems: true }));
    for (const t of types) {
      const base = `/${gv}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
      paths[base] = { patch: { operationId: `patch${t.kind}`, 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind }, parameters: params, responses: { '200': { description: 'OK' } } } };
    }
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: (this.opts.version ?? DEFAULT_VERSION).gitVersion }, paths, components: { schemas: {} } };
  }

  private groupList(): { kind: 'APIGroupList'; apiVersion: 'v1'; groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion: { groupVersion: string; version: string } }[] } {
    const groups = [...this.api.types.groups()].filter(([g]) => g !== '').sort(([a], [b]) => a.localeCompare(b));
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map(([name, versions]) => {
        const vs = [...versions].sort(compareVersions).map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0]! };
      }),
    };
  }

  private resourceList(group: string, version: string): unknown {
    const resources: unknown[] = [];
    for (const t of this.api.types.all().filter((x) => x.group === group && x.version === version)) {
      resources.push({ name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS, shortNames: t.shortNames.length ? t.shortNames : undefined, categories: t.categories.length ? t.categories : undefined });
      if (t.statusSubresource) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }
}

/** Whether `Authorization` is `Bearer <token>`, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

function includeObject(q: Record<string, string>): IncludeObject {
  return q.includeObject === 'None' || q.includeObject === 'Object' ? q.includeObject : 'Metadata';
}

function userAgentManager(req: IncomingMessage): string {
  // The real server derives the default manager from the user agent's program name.
  return (req.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown';
}

/** A protobuf body as its JSON form: 415 for a kind without a decoding table, 400 for a malformed body. */
function decodeProtobufBody(bytes: Buffer): unknown {
  try {
    return decodeKubeProtobuf(bytes);
  } catch (e) {
    if (e instanceof ProtobufDecodeError) {
      if (e.reason === 'unknown-kind') throw unsupportedBody();
      throw badRequest(`the body of the request could not be decoded: ${e.message}`);
    }
    throw e;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 8 * 1024 * 1024) throw new StatusError(413, 'RequestEntityTooLarge', 'the request body is larger than 8 MiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Storage keys whose DELETE answers the deleted object rather than a `Status` (their registries set `ReturnDeletedObject`). */
const RETURNS_DELETED = new Set(['/pods', '/services', '/namespaces', 'apiextensions.k8s.io/customresourcedefinitions']);

/**
 * Whether a request body of this media type is read as JSON or YAML. Binary encodings (CBOR,
 * Kubernetes protobuf of kinds without a decoding table) are not; any other type is read as JSON,
 * as before (more lenient than kube-apiserver, which refuses e.g. `text/plain`).
 */
function isDecodable(ct: string): boolean {
  return !(ct === 'application/cbor' || ct.startsWith('application/vnd.kubernetes.'));
}

/** kube-apiserver's 415 for a body it cannot decode. */
function unsupportedBody(): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`, {});
}

function parseBody(raw: string, contentType: string): unknown {
  if (raw.trim() === '') throw badRequest('the request body is empty');
  let body: unknown;
  try {
    // A RangeError from a decoder recursing too deep is a bad body too, never a 500.
    body = contentType === PATCH_TYPES.apply || contentType.includes('yaml') ? parseYaml(raw) : JSON.parse(raw);
  } catch (e) {
    throw badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
  if (exceedsDepth(body)) throw badRequest(`the body of the request could not be decoded: it nests deeper than ${MAX_DEPTH} levels`);
  return body;
}

function sendJson(res: ServerResponse, status: number, body: unknown, entry: RequestLogEntry): void {
  entry.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
