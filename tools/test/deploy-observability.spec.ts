/**
 * deploy/grafana/metallb-ts.json queries only metrics the apps export, with labels they have,
 * and deploy/prometheus/ scrapes the ports and pods the native manifest really has.
 *
 * The exported metrics are read statically from the sources that define them
 * (apps/controller/src, apps/speaker/src, libs/app-runtime/src): every `gauge`/`counter`/
 * `histogram`/`summary` call and every `new client.Gauge|Counter|Histogram|Summary({ name })`
 * with a literal name, with its label names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const SOURCES = ['apps/controller/src', 'apps/speaker/src', 'libs/app-runtime/src'];

type MetricType = 'gauge' | 'counter' | 'histogram' | 'summary';
interface Metric {
  name: string;
  type: MetricType;
  labels: string[];
  file: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function stringArray(node: ts.Node | undefined): string[] {
  if (!node || !ts.isArrayLiteralExpression(node)) return [];
  return node.elements.filter(ts.isStringLiteralLike).map((e) => e.text);
}

/** Every metric defined with a literal name in `file`. */
export function metricsIn(file: string): Metric[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Metric[] = [];
  const visit = (node: ts.Node): void => {
    // this.gauge('name', 'help', ['label', …]) and metrics.counter(…)
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const [first, , third] = node.arguments;
      if (['gauge', 'counter', 'histogram', 'summary'].includes(method) && first && ts.isStringLiteralLike(first) && /^[a-z_:][a-z0-9_:]*$/.test(first.text)) {
        out.push({ name: first.text, type: method as MetricType, labels: stringArray(third), file });
      }
    }
    // new client.Histogram({ name: '…', labelNames: […] })
    if (ts.isNewExpression(node)) {
      const callee = node.expression.getText(src).split('.').pop()!;
      const arg = node.arguments?.[0];
      if (['Gauge', 'Counter', 'Histogram', 'Summary'].includes(callee) && arg && ts.isObjectLiteralExpression(arg)) {
        const prop = (n: string) => arg.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(src) === n)?.initializer;
        const name = prop('name');
        if (name && ts.isStringLiteralLike(name)) out.push({ name: name.text, type: callee.toLowerCase() as MetricType, labels: stringArray(prop('labelNames')), file });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out;
}

/** Series names a metric produces: histograms and summaries add _bucket/_sum/_count. */
function seriesNames(m: Metric): { name: string; labels: string[] }[] {
  if (m.type === 'histogram') return [{ name: `${m.name}_bucket`, labels: [...m.labels, 'le'] }, { name: `${m.name}_sum`, labels: m.labels }, { name: `${m.name}_count`, labels: m.labels }];
  if (m.type === 'summary') return [{ name: m.name, labels: [...m.labels, 'quantile'] }, { name: `${m.name}_sum`, labels: m.labels }, { name: `${m.name}_count`, labels: m.labels }];
  return [{ name: m.name, labels: m.labels }];
}

const exported = SOURCES.flatMap((d) => tsFiles(join(root, d))).flatMap(metricsIn);
const series = new Map(exported.flatMap(seriesNames).map((s) => [s.name, new Set(s.labels)]));

/** Labels Prometheus adds to every scraped series (target labels of Pod/ServiceMonitors). */
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'container', 'endpoint', 'service']);

const FUNCTIONS = new Set(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'sum', 'max', 'min', 'avg', 'count', 'topk', 'bottomk', 'abs', 'clamp_min', 'clamp_max', 'label_values', 'label_replace', 'vector', 'time', 'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'count_over_time', 'absent', 'changes', 'resets', 'round', 'scalar']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names and the label names a PromQL expression (with Grafana variables) refers to. */
export function promqlRefs(expr: string): { metrics: string[]; labels: string[] } {
  const metrics: string[] = [];
  const labels: string[] = [];
  const text = expr.replace(/\$__\w+|\$\{?\w+\}?/g, '1m'); // Grafana variables
  const re = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\]|\{([^}]*)\}|\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?|\d+(?:\.\d+)?[a-z]*/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) {
      for (const matcher of m[1].split(',')) {
        const l = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/.exec(matcher);
        if (l) labels.push(l[1]!);
      }
    } else if (m[2] !== undefined) {
      labels.push(...m[3]!.split(',').map((s) => s.trim()).filter(Boolean));
    } else if (m[4] !== undefined) {
      const id = m[4];
      // An aggregation may be followed by `by (…)` instead of its parenthesis: `max by (pool) (x)`.
      if (FUNCTIONS.has(id)) continue;
      if (m[5] !== undefined) throw new Error(`unknown PromQL function ${id}( in ${expr}`);
      if (!KEYWORDS.has(id.toLowerCase())) metrics.push(id);
    }
  }
  return { metrics, labels };
}

interface Dashboard {
  panels: { title: string; type: string; targets?: { expr: string; legendFormat?: string }[]; gridPos: { x: number; y: number; w: number; h: number } }[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
  uid: string;
}

const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/metallb-ts.json'), 'utf8')) as Dashboard;
const queries: { where: string; expr: string }[] = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = typeof v.query === 'string' ? v.query : v.query!.query;
      // label_values(metric, label): the metric and the label it reads.
      const lv = /^label_values\(\s*([^,]+),\s*(\w+)\s*\)$/.exec(q);
      return { where: `variable $${v.name}`, expr: lv ? `${lv[1]!} * on (${lv[2]!}) ${lv[1]!}` : q };
    }),
];

describe('what the apps export (read from their sources)', () => {
  it('finds the metrics of both binaries and of app-runtime', () => {
    const names = exported.map((m) => m.name);
    // One from each source, so a broken extraction cannot pass the dashboard check vacuously.
    expect(names).toEqual(expect.arrayContaining(['metallb_allocator_addresses_total', 'metallb_speaker_announced', 'metallb_k8s_client_config_stale_bool', 'metallb_ts_informer_errors_total']));
    expect(exported.find((m) => m.name === 'metallb_ts_speaker_failover_seconds')?.type).toBe('histogram');
    expect(series.get('metallb_speaker_announced')).toEqual(new Set(['service', 'protocol', 'node', 'ip']));
  });
  it('the PromQL reader finds metrics and labels, and not functions, keywords or strings', () => {
    expect(promqlRefs('histogram_quantile(0.9, sum by (le) (rate(a_bucket{x="y-z",w=~"$node"}[$__rate_interval]))) / on (pod) b offset 5m')).toEqual({ metrics: ['a_bucket', 'b'], labels: ['le', 'x', 'w', 'pod'] });
    expect(() => promqlRefs('nosuchfn(x)')).toThrow(/unknown PromQL function/);
  });
});

describe('deploy/grafana/metallb-ts.json', () => {
  it('has the panels the issue asks for: pool usage, announcements per node, BGP sessions, failover durations', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const m of ['metallb_allocator_addresses_in_use_total', 'metallb_speaker_announced', 'metallb_bgp_session_up', 'metallb_ts_speaker_failover_seconds_bucket']) expect(all).toContain(m);
    expect(dashboard.uid).toBe('metallb-ts');
    expect(queries.length).toBeGreaterThan(15);
  });
  for (const q of queries) {
    it(`${q.where}: every metric is exported and every label exists: ${q.expr}`, () => {
      const refs = promqlRefs(q.expr);
      expect(refs.metrics.length, 'a query without a metric').toBeGreaterThan(0);
      const allowed = new Set(TARGET_LABELS);
      for (const m of refs.metrics) {
        expect(series.has(m), `${m} is not exported by the controller, the speaker or app-runtime`).toBe(true);
        for (const l of series.get(m)!) allowed.add(l);
      }
      for (const l of refs.labels) expect(allowed.has(l), `label ${l} is on none of ${refs.metrics.join(', ')}`).toBe(true);
    });
  }
  it('panels do not overlap on the grid', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const c = `${x},${y}`;
          expect(cells.has(c), `"${p.title}" overlaps another panel at ${c}`).toBe(false);
          cells.add(c);
        }
      }
      expect(p.gridPos.x + p.gridPos.w, `"${p.title}" is wider than the grid`).toBeLessThanOrEqual(24);
    }
  });
});

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };
const load = (rel: string): Obj[] =>
  parseAllDocuments(readFileSync(join(root, rel), 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
const native = load('deploy/manifests/metallb-ts-native.yaml');
const workloads = native.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/prometheus', () => {
  const monitors = [...load('deploy/prometheus/podmonitors.yaml'), ...load('deploy/prometheus/servicemonitors.yaml')].filter((o) => o.kind === 'PodMonitor' || o.kind === 'ServiceMonitor');
  const services = load('deploy/prometheus/servicemonitors.yaml').filter((o) => o.kind === 'Service');
  const reader = load('deploy/prometheus/metrics-reader.yaml');
  it('has a PodMonitor and a ServiceMonitor for each of the controller and the speaker', () => {
    expect(monitors.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(['PodMonitor/metallb-ts-controller', 'PodMonitor/metallb-ts-speaker', 'ServiceMonitor/metallb-ts-controller', 'ServiceMonitor/metallb-ts-speaker']);
  });
  for (const m of monitors) {
    it(`${m.kind}/${m.metadata.name} selects exactly one workload's pods and scrapes its HTTPS metrics port with the reader's token`, () => {
      const selector = m.spec.selector.matchLabels as Record<string, string>;
      const target = m.kind === 'PodMonitor' ? workloads.filter((w) => matches(selector, w.spec.template.metadata.labels)) : services.filter((s) => matches(selector, s.metadata.labels ?? {}));
      expect(target).toHaveLength(1);
      const endpoints = (m.kind === 'PodMonitor' ? m.spec.podMetricsEndpoints : m.spec.endpoints) as { port: string; scheme: string; authorization: { credentials: { name: string; key: string } } }[];
      const pods = m.kind === 'PodMonitor' ? target[0]! : workloads.find((w) => matches(target[0]!.spec.selector, w.spec.template.metadata.labels))!;
      const ports = (pods.spec.template.spec.containers[0].ports as { name: string; containerPort: number }[]).map((p) => p.name);
      for (const e of endpoints) {
        if (m.kind === 'PodMonitor') expect(ports).toContain(e.port);
        else expect(ports).toContain((target[0]!.spec.ports as { name: string; targetPort: string }[]).find((p) => p.name === e.port)?.targetPort);
        expect(e.scheme).toBe('https');
        const secret = reader.find((o) => o.kind === 'Secret')!;
        expect(e.authorization.credentials).toEqual({ name: secret.metadata.name, key: 'token' });
      }
      expect(m.spec.namespaceSelector.matchNames).toEqual([pods.metadata.namespace]);
    });
  }
  it('the reader token belongs to a ServiceAccount bound to GET /metrics only', () => {
    const sa = reader.find((o) => o.kind === 'ServiceAccount')!;
    const secret = reader.find((o) => o.kind === 'Secret') as Obj & { type: string; metadata: { annotations: Record<string, string> } };
    const role = reader.find((o) => o.kind === 'ClusterRole') as Obj & { rules: unknown[] };
    const binding = reader.find((o) => o.kind === 'ClusterRoleBinding') as Obj & { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
    expect(secret.type).toBe('kubernetes.io/service-account-token');
    expect(secret.metadata.annotations['kubernetes.io/service-account.name']).toBe(sa.metadata.name);
    expect(role.rules).toEqual([{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  });
});
