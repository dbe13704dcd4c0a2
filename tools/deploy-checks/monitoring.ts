import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './tools';

/** The Grafana dashboard and the Prometheus alert rules of deploy/ (deploy/README.md "Monitoring"). */
export const GRAFANA_DASHBOARD = path.join(ROOT, 'deploy/grafana/tickets-dashboard.json');
export const ALERT_RULES = path.join(ROOT, 'deploy/prometheus/alerts.yaml');

/** Series every Prometheus has without the services defining them: the scrape health and prom-client's defaults. */
const BUILT_IN_METRICS = new Set([
  'up',
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_seconds',
]);

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads (pure, for the expressions of this repository: no string
 * literals outside label matchers): identifiers that are not functions, keywords, grouping labels, label
 * matchers or range durations. Histogram series (`_bucket`, `_count`, `_sum`) are reported as the histogram.
 */
export function metricsOf(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/"[^"]*"/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || PROMQL_WORDS.has(name.toLowerCase())) continue;
    names.add(name.replace(/_(bucket|count|sum)$/, ''));
  }
  return [...names];
}

/**
 * Metric names the services define: the string literals of `.ts` sources (tests excluded) under apps/ and
 * libs/ that name a prom-client metric (`name: '...'` of `new Counter|Gauge|Histogram`, or a value of the
 * `*_METRICS` name tables the services keep).
 */
export function metricsInCode(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'testing') walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        const text = fs.readFileSync(full, 'utf8');
        if (!/new (Counter|Gauge|Histogram)\b/.test(text)) continue;
        for (const m of text.matchAll(/(?:name:\s*|^\s*\w+:\s*)'([a-z_:][a-z0-9_:]*)'/gm)) names.add(m[1]);
      }
    }
  };
  walk(path.join(ROOT, 'apps'));
  walk(path.join(ROOT, 'libs'));
  return names;
}

/** Metrics an expression reads that neither the code nor Prometheus/prom-client defines. */
export function unknownMetrics(expr: string, known: ReadonlySet<string>): string[] {
  return metricsOf(expr).filter((name) => !known.has(name) && !BUILT_IN_METRICS.has(name));
}
