// The client side of the L2 failover benchmark, run inside the lab's client namespace: it watches
// its own neighbour entry for IP (/proc/net/arp of this namespace, every 5 ms) and requests URL
// back to back (a fresh connection each, 300 ms timeout, 10 ms apart). One JSON line per event in
// OUT: {k:'neigh', t, mac} when the entry's MAC changes (mac '' = no complete entry), and
// {k:'req', t, end, ok} per request (times in ms since the epoch, this host's clock).
// Bounded: stops after MAX_MS, or on SIGTERM/SIGINT.
// usage: node probe.mjs OUT URL IP MAX_MS
import { appendFileSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const [out, url, ip, maxArg] = process.argv.slice(2);
const maxMs = Number(maxArg);
if (!out || !url || !ip || !(maxMs > 0)) {
  process.stderr.write('usage: node probe.mjs OUT URL IP MAX_MS\n');
  process.exit(2);
}
const t0 = Date.now();
let stop = false;
process.on('SIGTERM', () => (stop = true));
process.on('SIGINT', () => (stop = true));
const done = () => stop || Date.now() - t0 > maxMs;
const write = (o) => appendFileSync(out, `${JSON.stringify(o)}\n`);

function neighbour() {
  try {
    for (const line of readFileSync('/proc/net/arp', 'utf8').split('\n').slice(1)) {
      const [addr, , flags, mac] = line.trim().split(/\s+/);
      if (addr === ip) return (Number(flags) & 2) !== 0 ? mac : '';
    }
  } catch {
    /* no table */
  }
  return '';
}

async function watchNeighbour() {
  let last;
  while (!done()) {
    const mac = neighbour();
    if (mac !== last) write({ k: 'neigh', t: Date.now(), mac });
    last = mac;
    await sleep(5);
  }
}

function once() {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 300 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

async function requests() {
  while (!done()) {
    const t = Date.now();
    const ok = await once();
    write({ k: 'req', t, end: Date.now(), ok });
    await sleep(10);
  }
}

await Promise.all([watchNeighbour(), requests()]);
