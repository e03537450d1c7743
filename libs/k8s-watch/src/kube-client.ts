/**
 * {@link KubeClient}: the {@link ApiClient} port over HTTP(S) with node's `http`/`https`,
 * authenticated and TLS-configured from a {@link ClientConfig} (see `config.ts`), rate limited by
 * a client-side token bucket, with one keep-alive agent.
 */
import { systemClock, type Clock } from '@metallb-ts/clock';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { ClientConfig } from './config.js';
import { TokenBucket } from './rate-limiter.js';
import {
  ApiError,
  resourcePath,
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
} from './types.js';

/** A watch line that is not a JSON event: the stream is treated as broken. */
export class WatchDecodeError extends Error {
  override readonly name = 'WatchDecodeError';
  constructor(readonly line: string) {
    super(`undecodable watch event: ${line.slice(0, 200)}`);
  }
}

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** @default systemClock */
  clock?: Clock;
  /** Per-request timeout for non-watch calls. @default 30000 */
  requestTimeoutMs?: number;
}

interface Prepared {
  url: URL;
  options: RequestOptions;
}

/** The HTTP implementation of {@link ApiClient}. */
export class KubeClient implements ApiClient {
  private readonly limiter: TokenBucket;
  private agent: HttpAgent | HttpsAgent | undefined;
  private agentCert: string | undefined;
  private readonly clock: Clock;

  constructor(
    readonly config: ClientConfig,
    private readonly opts: KubeClientOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.limiter = new TokenBucket(config.qps, config.burst, this.clock);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async prepare(method: string, path: string, query: Record<string, string | number | boolean | undefined>, headers: Record<string, string>): Promise<Prepared> {
    const base = new URL(this.config.server);
    const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const creds = await this.config.auth.credentials();
    const options: RequestOptions = {
      method,
      headers: { Accept: 'application/json', 'User-Agent': this.config.userAgent, ...(creds.authorization ? { Authorization: creds.authorization } : {}), ...headers },
    };
    // One shared keep-alive agent; rebuilt only when an exec plugin hands out a new client certificate.
    const cert = creds.cert ?? this.config.tls.cert;
    if (!this.agent || cert !== this.agentCert) {
      // Requests in flight (watches) keep the old agent's sockets until they end.
      const t = this.config.tls;
      this.agentCert = cert;
      this.agent =
        url.protocol === 'https:'
          ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: t.rejectUnauthorized, ...(t.ca ? { ca: t.ca } : {}), ...(cert ? { cert, key: creds.key ?? t.key } : {}), ...(t.servername ? { servername: t.servername } : {}) })
          : new HttpAgent({ keepAlive: true });
    }
    options.agent = this.agent;
    return { url, options };
  }

  private send(p: Prepared, body: string | undefined, signal?: AbortSignal, timeoutMs?: number, retried = false): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const fn = p.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = fn(p.url, { ...p.options, signal }, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A pooled keep-alive connection the server closed while idle fails at once; the
        // request never reached the server, so it is safe to send it again on a new connection
        // (the pattern Node's http documentation recommends for `reusedSocket`).
        if (req.reusedSocket && !retried && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          this.send(p, body, signal, timeoutMs, true).then(resolve, reject);
          return;
        }
        reject(e.name === 'AbortError' ? e : new ApiError(0, 'Transport', `${p.options.method} ${p.url.pathname}: ${e.message}`));
      });
      if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** One JSON request; non-2xx answers throw {@link ApiError} built from the `Status` body. */
  async request<T>(method: string, path: string, opts: { query?: Record<string, string | number | boolean | undefined>; body?: unknown; contentType?: string; signal?: AbortSignal } = {}): Promise<T> {
    await this.limiter.take(opts.signal);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const p = await this.prepare(method, path, opts.query ?? {}, headers);
    const res = await this.send(p, body, opts.signal, this.opts.requestTimeoutMs ?? 30_000);
    const text = await readAll(res);
    const code = res.statusCode ?? 0;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (code < 200 || code >= 300) throw ApiError.fromStatus(code, parsed as Status | undefined, `${method} ${path}: HTTP ${code}: ${text.slice(0, 200)}`);
    return parsed as T;
  }

  async list<T extends KubeObject>(r: ResourceRef, o: ListOptions = {}): Promise<ListResult<T>> {
    const l = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', resourcePath(r, o.namespace), {
      query: { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: o.continue, resourceVersion: o.resourceVersion },
      signal: o.signal,
    });
    return { items: l.items ?? [], resourceVersion: l.metadata?.resourceVersion ?? '', continue: l.metadata?.continue || undefined };
  }

  async *watch<T extends KubeObject>(r: ResourceRef, o: WatchOptions): AsyncIterable<WatchEvent<T>> {
    await this.limiter.take(o.signal);
    const p = await this.prepare('GET', resourcePath(r, o.namespace), {
      watch: 'true',
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: o.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: o.timeoutSeconds,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
    }, {});
    const res = await this.send(p, undefined, o.signal);
    const code = res.statusCode ?? 0;
    if (code !== 200) {
      const text = await readAll(res);
      let s: Status | undefined;
      try {
        s = JSON.parse(text) as Status;
      } catch {
        s = undefined;
      }
      throw ApiError.fromStatus(code, s, `watch ${p.url.pathname}: HTTP ${code}`);
    }
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line === '') continue;
          let ev: WatchEvent<T>;
          try {
            ev = JSON.parse(line) as WatchEvent<T>;
          } catch {
            throw new WatchDecodeError(line);
          }
          if (!ev || typeof ev !== 'object' || typeof ev.type !== 'string' || typeof ev.object !== 'object') throw new WatchDecodeError(line);
          yield ev;
        }
      }
    } catch (e) {
      if (e instanceof WatchDecodeError || (e as Error).name === 'AbortError') throw e;
      throw new ApiError(0, 'Transport', `watch ${p.url.pathname} broke: ${(e as Error).message}`);
    } finally {
      res.destroy();
    }
    // A response that ended mid-line or without the chunked terminator is a broken stream.
    if (buf.trim() !== '') throw new WatchDecodeError(buf);
    if (!res.complete) throw new ApiError(0, 'Transport', `watch ${p.url.pathname} was cut off`);
  }

  get<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, subresource?: string): Promise<T> {
    return this.request<T>('GET', resourcePath(r, namespace, name, subresource));
  }

  create<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q: WriteQuery = {}): Promise<T> {
    return this.request<T>('POST', resourcePath(r, namespace), { body, query: { ...q } });
  }

  update<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q: WriteQuery = {}, subresource?: string): Promise<T> {
    return this.request<T>('PUT', resourcePath(r, namespace, body.metadata.name, subresource), { body, query: { ...q } });
  }

  patch<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, type: PatchContentType, body: unknown, q: WriteQuery = {}, subresource?: string): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, namespace, name, subresource), { body, contentType: type, query: { ...q } });
  }

  async delete(r: ResourceRef, namespace: string | undefined, name: string, opts: { preconditions?: { uid?: string; resourceVersion?: string } } = {}): Promise<void> {
    await this.request('DELETE', resourcePath(r, namespace, name), { body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } });
  }
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let s = '';
  for await (const c of res as AsyncIterable<string>) s += c;
  return s;
}
