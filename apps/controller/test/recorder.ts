/**
 * A recording proxy between the controller and the API server: plain HTTP on 127.0.0.1 in front
 * of apiserver-lite (HTTP) or kube-apiserver (HTTPS, checked against its CA). It forwards every
 * request unchanged — the controller's bearer token included, so the real server authorises the
 * controller's ServiceAccount — streams answers (watches) through, and logs method, path, query,
 * status and, for errors, the server's message. While the server is away, the client sees what it
 * would see without the proxy: its connection dropped.
 */
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/** One request the controller made. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string without `?`. */
  query: string;
  /** HTTP status; 0 when the server could not be reached. */
  status: number;
  /** The `message` of an error answer's Status body. */
  message?: string;
  /** When it was sent (ms since the epoch). */
  at: number;
}

/** Whether a request was answered 403 because RBAC refused it (not, say, because its namespace is being deleted). */
export function isRbacDenial(r: RecordedRequest): boolean {
  return r.status === 403 && /\bcannot \w+ resource\b/.test(r.message ?? '');
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function forwardable(h: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

/** The proxy. `url` is what the controller's kubeconfig points at. */
export class Recorder {
  readonly requests: RecordedRequest[] = [];
  private upstream: URL;
  private ca: string | undefined;
  private agent: HttpAgent | HttpsAgent;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  url = '';

  constructor(upstream: string, ca?: string) {
    this.upstream = new URL(upstream);
    this.ca = ca;
    this.agent = this.newAgent();
  }

  private newAgent(): HttpAgent | HttpsAgent {
    return this.upstream.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ca: this.ca }) : new HttpAgent({ keepAlive: true });
  }

  /** Points the proxy at a restarted server (its port may have changed). */
  setUpstream(upstream: string, ca?: string): void {
    this.agent.destroy();
    this.upstream = new URL(upstream);
    if (ca !== undefined) this.ca = ca;
    this.agent = this.newAgent();
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.forward(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('recorder: no port');
    this.url = `http://127.0.0.1:${addr.port}`;
    return this.url;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://proxy');
    const entry: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.search.slice(1), status: 0, at: Date.now() };
    this.requests.push(entry);
    const send = this.upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    const up = send(
      {
        protocol: this.upstream.protocol,
        hostname: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...forwardable(req.headers), host: this.upstream.host },
        agent: this.agent,
      },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        if (entry.status >= 400) {
          let body = '';
          answer.on('data', (c: Buffer) => {
            if (body.length < 4096) body += c.toString('utf8');
          });
          answer.on('end', () => {
            try {
              entry.message = String((JSON.parse(body) as { message?: unknown }).message ?? body.slice(0, 300));
            } catch {
              entry.message = body.slice(0, 300);
            }
          });
        }
        res.writeHead(entry.status, forwardable(answer.headers));
        answer.pipe(res);
        // The server went away mid-answer (an outage cutting a watch): so does the client's connection.
        answer.on('aborted', () => res.destroy());
        answer.on('error', () => res.destroy());
      },
    );
    up.on('error', () => {
      entry.status = 0;
      res.destroy();
    });
    // The client gave up (a watch it stopped): stop asking the server too.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
