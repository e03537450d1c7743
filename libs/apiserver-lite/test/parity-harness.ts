/**
 * The two servers of the parity suite behind one interface: apiserver-lite in-process and the real
 * control plane of `@metallb-ts/kube` (etcd, kube-apiserver, kube-controller-manager). Raw HTTP
 * requests (JSON in, `{ status, body }` out), watches as event streams, the pinned kubectl, and a
 * way to make each server forget its watch history. Plus the normalisation that makes two
 * answers comparable (uids, resourceVersions, timestamps and generated names replaced).
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { down, kubectl, up, type KubectlResult } from '@metallb-ts/kube';
import { startApiServer, type RunningApiServer } from '../src/index.js';

/** The repository root. */
export const REPO = new URL('../../../', import.meta.url).pathname;

/** One HTTP answer. */
export interface Answer {
  status: number;
  /** The JSON body, or the text when it is not JSON. */
  body: any;
}

/** One watch event. */
export interface WatchEvent {
  type: string;
  object: any;
}

/** An open watch: its events so far, waits on them, and its end. */
export class WatchStream {
  readonly events: WatchEvent[] = [];
  /** The HTTP status of the watch response (0 until it arrives). */
  status = 0;
  /** Resolves when the server ends the stream (or it is closed). */
  readonly ended: Promise<void>;
  private done = false;
  private readonly waiters = new Set<() => void>();
  private close_: () => void = () => {};

  constructor(start: (onEvent: (e: WatchEvent) => void, onStatus: (s: number) => void, onEnd: () => void) => () => void) {
    let resolveEnd!: () => void;
    this.ended = new Promise((r) => (resolveEnd = r));
    this.close_ = start(
      (e) => {
        this.events.push(e);
        for (const w of [...this.waiters]) w();
      },
      (s) => (this.status = s),
      () => {
        this.done = true;
        resolveEnd();
        for (const w of [...this.waiters]) w();
      },
    );
  }

  /** Whether the server ended the stream. */
  get finished(): boolean {
    return this.done;
  }

  /** The first event (from the start) that `pred` accepts; rejects after `timeoutMs`. */
  next(what: string, pred: (e: WatchEvent) => boolean, timeoutMs = 15_000): Promise<WatchEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.find(pred);
        if (e) {
          cleanup();
          resolve(e);
        } else if (this.done) {
          cleanup();
          reject(new Error(`watch ended before ${what}; events: ${JSON.stringify(this.events.map((x) => x.type))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(this.events.map((x) => x.type))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Ends the watch from the client side. */
  close(): void {
    this.close_();
  }
}

/** Options of {@link ParityServer.request}. */
export interface RequestOptions {
  /** @default application/json */
  contentType?: string;
  /** @default application/json */
  accept?: string;
}

/** One server under comparison. */
export interface ParityServer {
  /** `kube-apiserver` or `apiserver-lite`. */
  readonly name: 'kube-apiserver' | 'apiserver-lite';
  /** A kubeconfig with full rights. */
  readonly kubeconfig: string;
  /** One request; `body` is sent as JSON unless it is a string. Never throws on an HTTP error. */
  request(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<Answer>;
  /** Opens a watch (`path` carries the query, e.g. `…?watch=true&resourceVersion=5`). */
  watch(path: string): WatchStream;
  /** The pinned kubectl against this server (its own discovery cache). */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Makes the server forget its watch history, so old resourceVersions get 410 Gone. */
  forgetHistory(): Promise<void>;
  /** Stops the server. */
  stop(): Promise<void>;
}

interface Transport {
  url: URL;
  agent: HttpAgent;
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
}

function send(t: Transport, method: string, path: string, body: unknown, opts: RequestOptions): Promise<Answer> {
  const u = new URL(path, t.url);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const headers: Record<string, string | number> = { Accept: opts.accept ?? 'application/json' };
  if (payload) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    // Always a length: a DELETE body without one would be read as the next request on a kept-alive connection.
    headers['Content-Length'] = payload.length;
  }
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { method, agent: t.agent, headers, ...(t.tls ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function openWatch(t: Transport, path: string): WatchStream {
  return new WatchStream((onEvent, onStatus, onEnd) => {
    const u = new URL(path, t.url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        onEnd();
      }
    };
    // Its own connection (agent: false): a watch must not hold a pooled socket.
    const req = request(u, { method: 'GET', agent: false, headers: { Accept: 'application/json' }, ...(t.tls ?? {}) }, (res: IncomingMessage) => {
      onStatus(res.statusCode ?? 0);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => {
        if (buf.trim()) onEvent(JSON.parse(buf) as WatchEvent);
        end();
      });
      res.on('error', end);
      res.on('close', end);
    });
    req.on('error', end);
    req.end();
    return () => {
      req.destroy();
      end();
    };
  });
}

/** apiserver-lite in-process, bookmarks every second (the real server's come 2 s before a watch's deadline). */
export async function startLite(): Promise<ParityServer> {
  const lite: RunningApiServer = await startApiServer({ bookmarkIntervalMs: 1000 });
  const t: Transport = { url: new URL(lite.url), agent: new HttpAgent({ keepAlive: true }) };
  const cache = mkdtempSync(join(tmpdir(), 'parity-lite-kubectl-'));
  return {
    name: 'apiserver-lite',
    kubeconfig: lite.kubeconfigPath,
    request: (method, path, body, opts = {}) => send(t, method, path, body, opts),
    watch: (path) => openWatch(t, path),
    kubectl: (args, input) => kubectl(['--cache-dir', cache, ...args], { kubeconfig: lite.kubeconfigPath, ...(input !== undefined ? { input } : {}) }),
    forgetHistory: async () => lite.server.compact(),
    stop: async () => {
      t.agent.destroy();
      await lite.stop();
      rmSync(cache, { recursive: true, force: true });
    },
  };
}

/** The real control plane in a fresh directory (etcd without fsync: a test lab). */
export async function startReal(log: (line: string) => void = () => {}): Promise<ParityServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parity-kube-'));
  let cp;
  try {
    cp = await up({ dir, etcdUnsafeNoFsync: true, log });
  } catch (e) {
    await down({ dir, graceMs: 3000 });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const kc = parseYaml(readFileSync(cp.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority': string } }[];
    users: { user: { 'client-certificate': string; 'client-key': string } }[];
  };
  const tls = { ca: readFileSync(kc.clusters[0]!.cluster['certificate-authority']), cert: readFileSync(kc.users[0]!.user['client-certificate']), key: readFileSync(kc.users[0]!.user['client-key']) };
  const t: Transport = { url: new URL(cp.server), agent: new HttpsAgent({ keepAlive: true, ...tls }), tls };
  const etcd = `http://${cp.layout.address}:${cp.layout.etcdClientPort}`;
  const cache = join(dir, 'kubectl-cache');
  return {
    name: 'kube-apiserver',
    kubeconfig: cp.kubeconfig,
    request: (method, path, body, opts = {}) => send(t, method, path, body, opts),
    watch: (path) => openWatch(t, path),
    kubectl: (args, input) => kubectl(['--cache-dir', cache, ...args], { kubeconfig: cp.kubeconfig, ...(input !== undefined ? { input } : {}) }),
    // etcd's compaction API (its JSON gateway): history before the current revision is gone.
    forgetHistory: async () => {
      const head = (await (await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('/').toString('base64') }) })).json()) as { header: { revision: string } };
      const r = await fetch(`${etcd}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: head.header.revision, physical: true }) });
      if (!r.ok) throw new Error(`etcd compaction failed: ${r.status} ${await r.text()}`);
    },
    stop: async () => {
      t.agent.destroy();
      await down({ dir, graceMs: 5000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Throws unless the answer is a 2xx (with the body in the message). */
export function ok(a: Answer, what: string): any {
  if (a.status < 200 || a.status >= 300) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

const VOLATILE_META = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'selfLink']);

/**
 * A copy with what differs between any two runs replaced: `metadata.uid`/`resourceVersion`/
 * timestamps, `managedFields[].time`, owner reference uids.
 */
export function scrub<T>(v: T): T {
  const rec = (x: any, key?: string): any => {
    if (Array.isArray(x)) return x.map((y) => rec(y));
    if (x === null || typeof x !== 'object') return x;
    const out: Record<string, unknown> = {};
    for (const [k, y] of Object.entries(x)) {
      if (key === 'metadata' && VOLATILE_META.has(k)) out[k] = `<${k}>`;
      else if (key === 'managedFields' || k === 'time') out[k] = k === 'time' ? '<time>' : rec(y, k);
      else if (k === 'uid' && typeof y === 'string') out[k] = '<uid>';
      else out[k] = rec(y, k);
    }
    return out;
  };
  return rec(v) as T;
}

/**
 * The fields a `managedFields` entry owns, as sorted dotted paths with list items folded into
 * their list and the `.` self-entries left out: apiserver-lite owns lists whole (see README).
 */
export function ownedFields(fieldsV1: unknown): string[] {
  const out = new Set<string>();
  const rec = (v: unknown, path: string[]) => {
    const keys = v && typeof v === 'object' ? Object.keys(v).filter((k) => k !== '.') : [];
    // A leaf, or a list (its children are `k:`/`v:`/`i:` items): one path.
    if (keys.length === 0 || keys.some((k) => !k.startsWith('f:'))) {
      if (path.length) out.add(path.join('.'));
      return;
    }
    for (const k of keys) rec((v as Record<string, unknown>)[k], [...path, k.slice(2)]);
  };
  rec(fieldsV1, []);
  return [...out].sort();
}

/** `managedFields` as `manager/operation[/subresource]: owned fields`, sorted. */
export function managers(obj: any): string[] {
  return ((obj?.metadata?.managedFields ?? []) as any[]).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}: ${ownedFields(e.fieldsV1).join(' ')}`).sort();
}

/** A Status body reduced to what clients read: code, reason, message, details (causes sorted). */
export function status(a: Answer): unknown {
  const b = a.body;
  if (!b || typeof b !== 'object' || b.kind !== 'Status') return { http: a.status, body: typeof b === 'string' ? b : '<not a Status>' };
  const details = b.details ? { ...b.details, ...(b.details.uid ? { uid: '<uid>' } : {}), ...(b.details.causes ? { causes: sortCauses(b.details.causes) } : {}) } : undefined;
  return { http: a.status, kind: b.kind, apiVersion: b.apiVersion, status: b.status, code: b.code, reason: b.reason, message: b.message, ...(details ? { details } : {}) };
}

/** Causes as `{reason, field, message}`, sorted (the real server's order follows Go map iteration in places). */
export function sortCauses(causes: { reason?: string; field?: string; message?: string }[]): { reason?: string; field?: string; message?: string }[] {
  return causes.map((c) => ({ reason: c.reason, field: c.field, message: c.message })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Sleep (test support only). */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something other than undefined; bounded by `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
