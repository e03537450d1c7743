// A client requesting URLs continuously, as a user's traffic would during a migration: one loop
// per URL, each a fresh TCP connection (no keep-alive, so every request goes through ARP/routing
// and the node's DNAT again), a 1 s timeout, 100 ms between requests. One JSON line per request
// in OUT: {u: url index, t: start (ms since the epoch), ok, ms, body?, err?, mac?} — `mac` is this
// host's neighbour entry for the URL's address after the request (/proc/net/arp of the namespace
// the loop runs in), so the lines show when the answering node changed.
// With `--arp IP` first, an ARP probe loop runs beside: `arping -c 2 -w 1 -I eth0 IP` over and
// over, one line {arp: [MACs that answered], t} per probe (two MACs = two nodes answering).
// Bounded: it stops after MAX_MS, on SIGTERM/SIGINT, or when OUT.stop exists.
// usage: node client-loop.mjs [--arp IP] OUT MAX_MS URL...
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const arpIp = args[0] === '--arp' ? args[1] : undefined;
const [out, maxArg, ...urls] = arpIp ? args.slice(2) : args;
const maxMs = Number(maxArg);
if (!out || !(maxMs > 0) || urls.length === 0) {
  process.stderr.write('usage: node client-loop.mjs [--arp IP] OUT MAX_MS URL...\n');
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

/** The complete neighbour entry's MAC for `ip` in this namespace, or undefined. */
function neighbour(ip) {
  try {
    for (const line of readFileSync('/proc/net/arp', 'utf8').split('\n').slice(1)) {
      const [addr, , flags, mac] = line.trim().split(/\s+/);
      if (addr === ip && (Number(flags) & 2) !== 0) return mac;
    }
  } catch {
    /* no table */
  }
  return undefined;
}

async function loop(u) {
  const host = new URL(urls[u]).hostname;
  while (!done()) {
    const t = Date.now();
    const r = await once(urls[u]);
    const mac = neighbour(host);
    appendFileSync(out, `${JSON.stringify({ u, t, ms: Date.now() - t, ...r, ...(mac ? { mac } : {}) })}\n`);
    await sleep(100);
  }
}

function arping(ip) {
  return new Promise((resolve) => {
    execFile('arping', ['-c', '2', '-w', '1', '-I', 'eth0', ip], { timeout: 5000 }, (_err, stdout) => {
      resolve([...new Set([...String(stdout).matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1].toLowerCase()))].sort());
    });
  });
}

async function arpLoop(ip) {
  while (!done()) {
    const t = Date.now();
    const macs = await arping(ip);
    appendFileSync(out, `${JSON.stringify({ arp: macs, t })}\n`);
    await sleep(50);
  }
}

await Promise.all([...urls.map((_, u) => loop(u)), ...(arpIp ? [arpLoop(arpIp)] : [])]);
