/**
 * Each daemon's own view of what one neighbor (our speaker) announced, normalised:
 * gobgp CLI JSON, `birdc show route all`, FRR `vtysh … json`.
 */
import type { Bird, Frr, Gobgp } from '@metallb-ts/test-lab';

export interface ViewRoute {
  prefix: string;
  nextHop: string;
  localPref?: number;
  communities: string[];
  largeCommunities: string[];
  asPath: string;
  /** Marked stale by graceful restart (undefined: the daemon does not show it). */
  stale?: boolean;
}

export type Fam = 'ipv4' | 'ipv6';

export interface RouterView {
  kind: 'gobgp' | 'bird' | 'frr';
  routes(neighbor: string, fam: Fam): Promise<ViewRoute[]>;
  established(neighbor: string): Promise<boolean>;
  holdTime(neighbor: string): Promise<number | undefined>;
  /** The daemon is holding the neighbor's routes for graceful restart (BIRD shows it per protocol). */
  gracefulRestartActive?(neighbor: string): Promise<boolean>;
  /** UPDATE messages received from the neighbor, where the daemon counts them. */
  updatesReceived?(neighbor: string): Promise<number>;
}

const comm = (n: number) => `${Math.floor(n / 65536)}:${n % 65536}`;

export function gobgpView(d: Gobgp, protoOf: (neighbor: string) => string): RouterView {
  void protoOf;
  return {
    kind: 'gobgp',
    async routes(neighbor, fam) {
      const rib = await d.rib(fam);
      const out: ViewRoute[] = [];
      for (const [prefix, paths] of Object.entries(rib)) {
        for (const p of paths) {
          if (p['neighbor-ip'] !== neighbor) continue;
          const r: ViewRoute = { prefix, nextHop: '', communities: [], largeCommunities: [], asPath: '', stale: !!p.stale };
          for (const a of p.attrs as any[]) {
            if (a.type === 3 || a.type === 14) r.nextHop = a.nexthop;
            if (a.type === 5) r.localPref = a.value;
            if (a.type === 8) r.communities = (a.communities as number[]).map(comm);
            if (a.type === 32) r.largeCommunities = (a.value as any[]).map((c) => `${c.ASN}:${c.LocalData1}:${c.LocalData2}`);
            if (a.type === 2) r.asPath = (a.as_paths as any[]).flatMap((s) => s.asns).join(' ');
          }
          out.push(r);
        }
      }
      return out.sort((a, b) => a.prefix.localeCompare(b.prefix));
    },
    async established(neighbor) {
      const n = await d.neighbor(neighbor);
      return n.state?.session_state === 6;
    },
    async holdTime(neighbor) {
      const n = await d.neighbor(neighbor);
      return n.timers?.state?.negotiated_hold_time;
    },
    async updatesReceived(neighbor) {
      const n = await d.neighbor(neighbor);
      return n.state?.messages?.received?.update ?? 0;
    },
  };
}

/** Parses `birdc show route all protocol P` into routes. */
export function parseBirdRoutes(text: string): ViewRoute[] {
  const out: ViewRoute[] = [];
  let cur: ViewRoute | undefined;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f:.]+\/\d+)\s/.exec(line);
    if (m) {
      cur = { prefix: m[1]!, nextHop: '', communities: [], largeCommunities: [], asPath: '' };
      out.push(cur);
      continue;
    }
    const a = /^\s+BGP\.(\w+):\s?(.*)$/.exec(line);
    if (!a || !cur) continue;
    const [, k, v] = a as unknown as [string, string, string];
    if (k === 'next_hop') cur.nextHop = v.split(' ')[0]!;
    if (k === 'local_pref') cur.localPref = Number(v);
    if (k === 'as_path') cur.asPath = v.trim();
    if (k === 'community') cur.communities = [...v.matchAll(/\((\d+),(\d+)\)/g)].map((x) => `${x[1]}:${x[2]}`);
    if (k === 'large_community') cur.largeCommunities = [...v.matchAll(/\((\d+), (\d+), (\d+)\)/g)].map((x) => `${x[1]}:${x[2]}:${x[3]}`);
  }
  return out.sort((a, b) => a.prefix.localeCompare(b.prefix));
}

export function birdView(d: Bird, protoOf: (neighbor: string) => string): RouterView {
  return {
    kind: 'bird',
    async routes(neighbor, fam) {
      const all = parseBirdRoutes(await d.cli('show', 'route', 'all', 'protocol', protoOf(neighbor)));
      return all.filter((r) => (fam === 'ipv6') === r.prefix.includes(':'));
    },
    async established(neighbor) {
      return /Established/.test(await d.cli('show', 'protocols', protoOf(neighbor)));
    },
    async gracefulRestartActive(neighbor) {
      return /Neighbor graceful restart active/.test(await d.cli('show', 'protocols', 'all', protoOf(neighbor)));
    },
    async holdTime(neighbor) {
      const m = /Hold timer:\s+[\d.]+\/(\d+)/.exec(await d.cli('show', 'protocols', 'all', protoOf(neighbor)));
      return m ? Number(m[1]) : undefined;
    },
  };
}

export function frrView(d: Frr): RouterView {
  return {
    kind: 'frr',
    async routes(neighbor, fam) {
      const table = await d.json(`show bgp ${fam} unicast`);
      const out: ViewRoute[] = [];
      for (const [prefix, paths] of Object.entries((table.routes ?? {}) as Record<string, any[]>)) {
        if (!paths.some((p) => p.peerId === neighbor)) continue;
        const detail = await d.json(`show bgp ${fam} unicast ${prefix}`);
        for (const p of detail.paths as any[]) {
          if (p.peer?.peerId !== neighbor) continue;
          out.push({
            prefix,
            nextHop: p.nexthops?.[0]?.ip ?? '',
            localPref: p.locPrf,
            communities: p.community?.list ?? [],
            largeCommunities: p.largeCommunity?.list ?? [],
            asPath: p.aspath?.string === 'Local' ? '' : (p.aspath?.string ?? ''),
            stale: !!p.stale,
          });
        }
      }
      return out.sort((a, b) => a.prefix.localeCompare(b.prefix));
    },
    async established(neighbor) {
      const n = await d.json(`show bgp neighbors ${neighbor}`);
      return n[neighbor]?.bgpState === 'Established';
    },
    async holdTime(neighbor) {
      const n = await d.json(`show bgp neighbors ${neighbor}`);
      const ms = n[neighbor]?.bgpTimerHoldTimeMsecs;
      return ms === undefined ? undefined : ms / 1000;
    },
    async updatesReceived(neighbor) {
      const n = await d.json(`show bgp neighbors ${neighbor}`);
      return n[neighbor]?.messageStats?.updatesRecv ?? -1;
    },
  };
}
