// The client side of the Service lifecycle benchmark, run inside the lab's client namespace: it
// starts a request to URL every EVERY_MS ms without waiting for the previous one (a fresh
// connection each, TIMEOUT_MS timeout), so a Service that starts or stops answering is seen within
// EVERY_MS whatever a single request waits for (an ARP resolution, a lost SYN). One JSON line per
// request in OUT: {t, end, ok} (ms since the epoch, this host's clock). At most
// TIMEOUT_MS / EVERY_MS requests are in flight. Bounded: stops after MAX_MS, or on SIGTERM/SIGINT.
// usage: node lc-probe.mjs OUT URL MAX_MS [EVERY_MS=20] [TIMEOUT_MS=500]
import { appendFileSync } from 'node:fs';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const [out, url, maxArg, everyArg = '20', timeoutArg = '500'] = process.argv.slice(2);
const maxMs = Number(maxArg);
const every = Number(everyArg);
const timeout = Number(timeoutArg);
if (!out || !url || !(maxMs > 0) || !(every > 0) || !(timeout > 0)) {
  process.stderr.write('usage: node lc-probe.mjs OUT URL MAX_MS [EVERY_MS=20] [TIMEOUT_MS=500]\n');
  process.exit(2);
}
const t0 = Date.now();
let stop = false;
process.on('SIGTERM', () => (stop = true));
process.on('SIGINT', () => (stop = true));

function once(t) {
  let done = false;
  const finish = (ok) => {
    if (done) return;
    done = true;
    appendFileSync(out, `${JSON.stringify({ t, end: Date.now(), ok })}\n`);
  };
  const req = get(url, { agent: false, timeout }, (res) => {
    res.resume();
    res.on('end', () => finish(res.statusCode === 200));
    res.on('error', () => finish(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => finish(false));
}

while (!stop && Date.now() - t0 < maxMs) {
  once(Date.now());
  await sleep(every);
}
await sleep(timeout + 100);
