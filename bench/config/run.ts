/**
 * Benchmark of `buildConfig`: how long validating a large configuration takes.
 * Run: `cd libs/config && npm run bench` (bundles with esbuild against the sources).
 * Each size builds N pools (a /24 and a 20-address range each), N/2 L2Advertisements selecting
 * pools by label, N/2 BGPAdvertisements by name, 50 peers, 500 nodes and 100 namespaces.
 */
import { cpus, loadavg } from 'node:os';
import { buildConfig, ConfigErrors } from '@metallb-ts/config';

const NS = 'metallb-system';
const m = (name: string, labels?: Record<string, string>) => ({ name, namespace: NS, ...(labels ? { labels } : {}) });

function objects(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 500; i++) out.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels: { rack: `r${i % 10}` } } });
  for (let i = 0; i < 100; i++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${i}`, labels: { team: `t${i % 5}` } } });
  for (let i = 0; i < n; i++) {
    const a = 10 + Math.floor(i / 256);
    const b = i % 256;
    out.push({
      apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: m(`pool-${i}`, { group: `g${i % 20}` }),
      spec: { addresses: [`${a}.${b}.0.0/24`, `${a}.${b}.1.10-${a}.${b}.1.29`], serviceAllocation: i % 4 === 0 ? { namespaceSelectors: [{ matchLabels: { team: `t${i % 5}` } }] } : undefined },
    });
  }
  for (let i = 0; i < n / 2; i++) {
    out.push({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: m(`l2-${i}`), spec: { ipAddressPoolSelectors: [{ matchLabels: { group: `g${i % 20}` } }], nodeSelectors: [{ matchLabels: { rack: `r${i % 10}` } }] } });
    out.push({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: m(`bgp-${i}`), spec: { ipAddressPools: [`pool-${2 * i}`, `pool-${2 * i + 1}`], aggregationLength: 32, communities: ['64512:1'] } });
  }
  for (let i = 0; i < 50; i++) {
    out.push({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: m(`peer-${i}`), spec: { myASN: 64512, peerASN: 64513 + i, peerAddress: `203.0.113.${i + 1}`, holdTime: '90s' } });
  }
  return out;
}

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| pools | objects | buildConfig median (ms) | min (ms) |');
console.log('| ---: | ---: | ---: | ---: |');
for (const n of [100, 1000, 5000]) {
  const objs = objects(n);
  const times: number[] = [];
  const runs = n >= 5000 ? 3 : 7;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const res = buildConfig(objs);
    times.push(performance.now() - t0);
    if (res instanceof ConfigErrors) throw new Error(res.message.slice(0, 500));
  }
  times.sort((a, b) => a - b);
  console.log(`| ${n} | ${objs.length} | ${times[Math.floor(times.length / 2)]!.toFixed(1)} | ${times[0]!.toFixed(1)} |`);
}
