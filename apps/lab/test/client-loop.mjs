// A client requesting URLs continuously, as a user's traffic would during a migration: one loop
// per URL, each a fresh TCP connection (no keep-alive, so every request goes through ARP/routing
// and the node's DNAT again), a 1 s timeout, 100 ms between requests. One JSON line per request
// in OUT: {u: url index, t: start (ms since the epoch), ok, ms, body?, err?}.
// Bounded: it stops after MAX_MS, on SIGTERM/SIGINT, or when OUT.stop exists.
// usage: node client-loop.mjs OUT MAX_MS URL...
import { appendFileSync, existsSync } from 'node:fs';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const [out, maxArg, ...urls] = process.argv.slice(2);
const maxMs = Number(maxArg);
if (!out || !(maxMs > 0) || urls.length === 0) {
  process.stderr.write('usage: node client-loop.mjs OUT MAX_MS URL...\n');
  process.exit(2);
}
const t0 = Date.now();
let stop = false;
process.on('SIGTERM', () => (stop = true));
process.on('SIGINT', () => (stop = true));
const done = () => stop || Date.now() - t0 > maxMs || existsSync(`${out}.stop`);

function once(url) {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ok: res.statusCode === 200 && body.startsWith('Hello from'), body: body.trim().slice(0, 120), ...(res.statusCode === 200 ? {} : { err: `HTTP ${res.statusCode}` }) }));
      res.on('error', (e) => resolve({ ok: false, err: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, err: e.message }));
  });
}

async function loop(u) {
  while (!done()) {
    const t = Date.now();
    const r = await once(urls[u]);
    appendFileSync(out, `${JSON.stringify({ u, t, ms: Date.now() - t, ...r })}\n`);
    await sleep(100);
  }
}

await Promise.all(urls.map((_, u) => loop(u)));
