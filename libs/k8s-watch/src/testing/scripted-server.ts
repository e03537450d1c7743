/**
 * A misbehaving API server over real HTTP, for integration tests of the HTTP client and
 * informers. It serves list and watch from a {@link FakeApiClient}'s state (so the fake's
 * faults apply too) and adds HTTP-level faults: error statuses, slow answers, connections cut
 * mid-stream, garbage lines, and watches that never send anything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FakeApiClient } from './fake-api-client.js';
import type { ResourceRef, WatchEvent } from '../types.js';

/** An HTTP-level fault for the next matching request. */
export interface HttpFault {
  op: 'list' | 'watch';
  /** Answer with this status and a `Status` body. */
  status?: number;
  /** Wait this long (real time) before answering. */
  delayMs?: number;
  /** For watch: cut the TCP connection after relaying this many events. */
  cutAfter?: number;
  /** For watch: write a line that is not JSON after relaying this many events. */
  garbageAfter?: number;
  /** For watch: send headers, then nothing at all (a silent, half-open connection). */
  silent?: boolean;
}

function parse(path: string): { r: ResourceRef; namespace?: string } | undefined {
  const m = path.match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)$/);
  if (!m) return undefined;
  return { r: { group: m[2] ?? '', version: m[1] ?? m[3]!, plural: m[5]! }, namespace: m[4] };
}

/** The server. */
export class ScriptedApiServer {
  private readonly server: Server;
  private readonly faults: HttpFault[] = [];
  private readonly sockets = new Set<Socket>();
  /** Requests seen (`METHOD path?query`). */
  readonly requests: string[] = [];

  constructor(readonly fake: FakeApiClient) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Queues HTTP faults (consumed in order by the first request of their `op`). */
  inject(...f: HttpFault[]): this {
    this.faults.push(...f);
    return this;
  }

  /** Listens on 127.0.0.1 and a free port; resolves with the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops, cutting open connections. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private take(op: HttpFault['op']): HttpFault | undefined {
    const i = this.faults.findIndex((f) => f.op === op);
    return i < 0 ? undefined : this.faults.splice(i, 1)[0];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const target = parse(url.pathname);
    const q = url.searchParams;
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!target || req.method !== 'GET') return json(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'not served by the scripted server' });
    const watch = q.get('watch') === 'true';
    const fault = this.take(watch ? 'watch' : 'list');
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.status) return json(fault.status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: fault.status, reason: fault.status === 410 ? 'Expired' : 'InternalError', message: `scripted ${fault.status}` });
    try {
      if (!watch) {
        const l = await this.fake.list(target.r, { namespace: target.namespace, labelSelector: q.get('labelSelector') ?? undefined, limit: q.get('limit') ? Number(q.get('limit')) : undefined, continue: q.get('continue') ?? undefined });
        return json(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: l.resourceVersion, continue: l.continue }, items: l.items });
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      if (fault?.silent) return; // never writes; the client must notice on its own
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      let n = 0;
      const stream = this.fake.watch(target.r, { namespace: target.namespace, resourceVersion: q.get('resourceVersion') ?? '', labelSelector: q.get('labelSelector') ?? undefined, signal: abort.signal });
      for await (const ev of stream as AsyncIterable<WatchEvent>) {
        if (fault?.garbageAfter !== undefined && n === fault.garbageAfter) {
          res.write('{"type": "ADDED", "object": \n');
          res.end();
          return;
        }
        if (fault?.cutAfter !== undefined && n === fault.cutAfter) {
          res.socket?.destroy();
          return;
        }
        res.write(`${JSON.stringify(ev)}\n`);
        n++;
      }
      res.end();
    } catch (e) {
      const code = (e as { code?: number }).code || 500;
      if (!res.headersSent) json(code, { kind: 'Status', code, reason: (e as { reason?: string }).reason ?? 'InternalError', message: (e as Error).message });
      else res.socket?.destroy();
    }
  }
}
