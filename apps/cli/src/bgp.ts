/** `metallb-ts bgp announce`: one BGP session, routes from flags and stdin, events on stdout. */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { createNodeSession, prefixKey, SessionConfigError, type BgpSession, type Route } from '@metallb-ts/bgp-speaker';
import { parseStdinLine, UsageError, type BgpAnnounceArgs } from './args.js';
import { untilSignal, within, type Io } from './io.js';

/**
 * Fails with a {@link UsageError} when `address:port` cannot be bound here (port in use, or an
 * address this host does not have), so the session does not retry forever on a bad flag.
 */
export async function checkBindable(address: string, port: number, flag: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`${flag}: ${address}:${port} is already in use`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new UsageError(`--local-address ${address}: not an address of this host`));
      else reject(new UsageError(`${flag}: cannot bind ${address}:${port}: ${e.code ?? e.message}`));
    });
    s.listen({ host: address, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

const routeView = (r: Route) => ({
  prefix: r.prefix.toString(),
  nextHop: r.nextHop?.toString() ?? 'self',
  ...(r.localPref !== undefined ? { localPref: r.localPref } : {}),
  ...(r.med !== undefined ? { med: r.med } : {}),
});

/** Runs the session until SIGTERM/SIGINT; resolves the exit code. */
export async function runBgpAnnounce(a: BgpAnnounceArgs, io: Io): Promise<number> {
  await checkBindable(a.localAddress.toString(), a.localPort ?? 0, a.localPort !== undefined ? `--local-port ${a.localPort}` : '--local-address');
  const routes = new Map<string, Route>(a.routes.map((r) => [prefixKey(r.prefix), r]));
  let session: BgpSession;
  try {
    session = createNodeSession({
      name: `${a.peerAddress.toString()}:${a.peerPort}`,
      peerAddress: a.peerAddress.toString(),
      peerPort: a.peerPort,
      localAddress: a.localAddress.toString(),
      ...(a.localPort !== undefined ? { localPort: a.localPort } : {}),
      localAsn: a.localAsn,
      peerAsn: a.peerAsn,
      routerId: a.routerId.toString(),
      holdTime: a.holdTime,
      connectRetryTime: a.connectRetry,
      ...(a.password !== undefined ? { password: a.password } : {}),
      ...(a.ebgpMultihop ? { ebgpMultihop: true } : {}),
    });
    session.setRoutes(routes.values());
  } catch (e) {
    if (e instanceof SessionConfigError) throw new UsageError(e.message);
    throw e;
  }
  session.on('state', (s) => {
    io.emit('state', { from: s.from, to: s.to, reason: s.reason });
    io.log(`bgp ${session.name}: ${s.from} → ${s.to} (${s.reason})`);
  });
  session.on('established', (n) => io.emit('established', { peerAsn: n.peerAsn, peerId: n.peerId.toString(), holdTime: n.holdTime, families: n.families.map((f) => `${f.afi}/${f.safi}`) }));
  session.on('sent', (s) => io.emit('sent', { ...s }));
  session.on('notification', (n) => {
    io.emit('notification', { direction: n.direction, code: n.code, subcode: n.subcode, codeName: n.codeName, data: n.data });
    io.log(`bgp ${session.name}: NOTIFICATION ${n.direction}: ${n.codeName} (${n.code}/${n.subcode})`);
  });

  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on('line', (line) => {
    let cmd;
    try {
      cmd = parseStdinLine(line);
    } catch (e) {
      io.emit('error', { input: line, message: (e as Error).message });
      io.log(`stdin: ${(e as Error).message}`);
      return;
    }
    if (cmd.op === 'none') return;
    const next = new Map(routes);
    if (cmd.op === 'add') next.set(prefixKey(cmd.route.prefix), cmd.route);
    else if (!next.delete(prefixKey(cmd.prefix))) {
      io.emit('error', { input: line, message: `withdraw ${cmd.prefix.toString()}: not advertised` });
      io.log(`stdin: withdraw ${cmd.prefix.toString()}: not advertised`);
      return;
    }
    try {
      session.setRoutes(next.values());
    } catch (e) {
      io.emit('error', { input: line, message: (e as Error).message });
      io.log(`stdin: ${(e as Error).message}`);
      return;
    }
    routes.clear();
    for (const [k, r] of next) routes.set(k, r);
    io.emit('routes', { routes: [...routes.values()].map(routeView) });
  });

  // Listen before anything is reported: a supervisor may signal as soon as it sees the first line.
  const signal = untilSignal();
  io.log(`bgp: AS${a.localAsn} ${a.localAddress.toString()} → AS${a.peerAsn} ${a.peerAddress.toString()}:${a.peerPort}, ${routes.size} route(s)`);
  io.emit('routes', { routes: [...routes.values()].map(routeView) });
  session.start();
  const sig = await signal;
  io.log(`bgp: ${sig}: sending Cease and closing`);
  rl.close();
  const r = await within(session.stop(), 5000);
  if (r === 'timeout') io.log('bgp: the peer did not close within 5 s; exiting anyway');
  io.emit('exit', { signal: sig });
  return 0;
}
