/** `metallb-ts l2 respond`: answers ARP/NDP for the given IPs on one interface. */
import { existsSync } from 'node:fs';
import { systemClock } from '@metallb-ts/clock';
import { AfPacketTransport, Responder, TransportError, type Transport } from '@metallb-ts/arp-responder';
import { UsageError, type L2RespondArgs } from './args.js';
import { untilSignal, type Io } from './io.js';

/**
 * Wraps a transport so that frames sent while `gate.muted` is set are dropped: the announcer
 * always sends one gratuitous round when an address is announced, and without `--gratuitous`
 * the CLI must stay silent until asked.
 */
function mutable(t: Transport, gate: { muted: boolean }): Transport {
  const w: Transport = {
    listLinks: () => t.listLinks(),
    open: (ifName, handlers) => {
      const s = t.open(ifName, handlers);
      return {
        ifName: s.ifName,
        mac: s.mac,
        send: (f) => {
          if (!gate.muted) s.send(f);
        },
        joinGroup: (m) => s.joinGroup(m),
        leaveGroup: (m) => s.leaveGroup(m),
        close: () => s.close(),
      };
    },
  };
  if (t.watchLinks) w.watchLinks = (cb) => t.watchLinks!(cb);
  return w;
}

/** Runs the responder until SIGTERM/SIGINT; resolves the exit code. */
export async function runL2Respond(a: L2RespondArgs, io: Io): Promise<number> {
  if (!existsSync(`/sys/class/net/${a.interface}`)) throw new UsageError(`--interface ${a.interface}: no such interface`);
  let responder: Responder;
  const gate = { muted: false };
  try {
    const transport = mutable(new AfPacketTransport(a.addonPath !== undefined ? { addonPath: a.addonPath } : {}), gate);
    responder = Responder.start({
      transport,
      clock: systemClock,
      interfaces: [a.interface],
      // without --gratuitous: no takeover burst (first round muted below, no further rounds)
      ...(a.gratuitous ? {} : { announcer: { gratuitousWindowMs: 0 } }),
      onDecision: (ifName, d) => {
        if (d.kind === 'reply') io.emit('reply', { ip: d.ip.toString(), to: d.requester.mac.toString(), proto: d.proto, requester: d.requester.ip.toString(), interface: ifName });
      },
      onConflict: (c) => {
        io.emit('conflict', { ip: c.ip.toString(), mac: c.mac.toString(), via: c.via, interface: c.ifName });
        io.log(`l2: conflict: ${c.mac.toString()} also answers for ${c.ip.toString()} on ${c.ifName} (${c.via})`);
      },
      onError: (e) => {
        io.emit('error', { kind: e.kind, message: e.message });
        io.log(`l2: ${e.kind}: ${e.message}`);
      },
    });
  } catch (e) {
    if (e instanceof TransportError) throw new UsageError(e.kind === 'interface-gone' ? `--interface ${a.interface}: no such interface` : e.message.split('\n')[0]!);
    throw e;
  }
  // Listen before anything is reported: a supervisor may signal as soon as it sees `ready`.
  const signal = untilSignal();
  gate.muted = !a.gratuitous;
  for (const ip of a.ips) responder.announce('cli', ip);
  gate.muted = false;
  io.emit('ready', { interface: a.interface, ips: a.ips.map((i) => i.toString()), gratuitous: a.gratuitous });
  io.log(`l2: answering for ${a.ips.map((i) => i.toString()).join(', ')} on ${a.interface}`);
  const sig = await signal;
  io.log(`l2: ${sig}: closing`);
  responder.withdraw('cli');
  responder.close();
  io.emit('exit', { signal: sig });
  return 0;
}
