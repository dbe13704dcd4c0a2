/**
 * Reads the services' own timings from `GET /metrics` (Prometheus text exposition format 0.0.4): a parser,
 * histogram snapshots aggregated over labels, the delta between a scrape before and after a run, and
 * `histogram_quantile`-style estimates. A metric a service does not expose yet simply comes back `null`.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;

/** Parses the text format; comment lines and unparseable lines are skipped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      const close = findClosingBrace(line, brace);
      if (close < 0) continue;
      labels = parseLabels(line.slice(brace + 1, close));
      rest = line.slice(close + 1).trim();
    } else {
      if (space < 0) continue;
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = parseValue(rest.split(/\s+/)[0]);
    if (value === null) continue;
    samples.push({ name, labels, value });
  }
  return samples;
}

function findClosingBrace(line: string, open: number): number {
  let inString = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '}') return i;
  }
  return -1;
}

function parseLabels(body: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of body.matchAll(LABEL)) {
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

function parseValue(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const v = Number(text);
  return Number.isNaN(v) && text !== 'NaN' ? null : v;
}

/** A histogram (cumulative buckets by upper bound, sum, count), possibly aggregated over series. */
export interface Histogram {
  /** Upper bound (`le`) -> cumulative count, ascending bounds, `Infinity` last. */
  readonly buckets: ReadonlyMap<number, number>;
  readonly sum: number;
  readonly count: number;
}

type LabelFilter = (labels: Readonly<Record<string, string>>) => boolean;

/**
 * The histogram family `name`, summed over every series that passes `filter`, grouped by the value of
 * label `groupBy` (one entry `''` without it). Empty map when the metric is not exposed.
 */
export function histograms(
  samples: readonly Sample[],
  name: string,
  options: { filter?: LabelFilter; groupBy?: string } = {},
): Map<string, Histogram> {
  const groups = new Map<string, { buckets: Map<number, number>; sum: number; count: number }>();
  const group = (labels: Readonly<Record<string, string>>) => {
    const key = options.groupBy ? (labels[options.groupBy] ?? '') : '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: new Map(), sum: 0, count: 0 }));
    return g;
  };
  for (const s of samples) {
    if (options.filter && !options.filter(s.labels)) continue;
    if (s.name === `${name}_bucket`) {
      const le = parseValue(s.labels['le']);
      if (le === null) continue;
      const g = group(s.labels);
      g.buckets.set(le, (g.buckets.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) {
      group(s.labels).sum += s.value;
    } else if (s.name === `${name}_count`) {
      group(s.labels).count += s.value;
    }
  }
  const out = new Map<string, Histogram>();
  for (const [key, g] of groups) {
    out.set(key, {
      buckets: new Map([...g.buckets].sort((a, b) => a[0] - b[0])),
      sum: g.sum,
      count: g.count,
    });
  }
  return out;
}

/** `after - before`, bucket by bucket (a series absent before counts as zero). */
export function histogramDelta(after: Histogram, before: Histogram | undefined): Histogram {
  const buckets = new Map<number, number>();
  for (const [le, v] of after.buckets) buckets.set(le, Math.max(0, v - (before?.buckets.get(le) ?? 0)));
  return {
    buckets,
    sum: Math.max(0, after.sum - (before?.sum ?? 0)),
    count: Math.max(0, after.count - (before?.count ?? 0)),
  };
}

/** Per-group delta of two `histograms()` results. */
export function histogramsDelta(
  after: Map<string, Histogram>,
  before: Map<string, Histogram>,
): Map<string, Histogram> {
  const out = new Map<string, Histogram>();
  for (const [key, h] of after) out.set(key, histogramDelta(h, before.get(key)));
  return out;
}

/**
 * Quantile `q` (0..1) estimated as Prometheus' `histogram_quantile` does: linear interpolation inside the
 * bucket holding the rank. `null` without observations; the highest finite bound when the rank falls in +Inf.
 */
export function histogramQuantile(h: Histogram, q: number): number | null {
  if (h.count <= 0) return null;
  const rank = q * h.count;
  let prevBound = 0;
  let prevCount = 0;
  let lastFinite = 0;
  for (const [le, cumulative] of h.buckets) {
    if (Number.isFinite(le)) lastFinite = le;
    if (cumulative >= rank) {
      if (!Number.isFinite(le)) return lastFinite;
      const inBucket = cumulative - prevCount;
      if (inBucket <= 0) return le;
      return prevBound + (le - prevBound) * ((rank - prevCount) / inBucket);
    }
    prevBound = le;
    prevCount = cumulative;
  }
  return lastFinite;
}

/** Whether quantile `q` falls beyond the highest finite bucket (then {@link histogramQuantile} is only a lower bound). */
export function histogramQuantileAbove(h: Histogram, q: number): boolean {
  if (h.count <= 0) return false;
  let lastFiniteCumulative = 0;
  for (const [le, cumulative] of h.buckets) if (Number.isFinite(le)) lastFiniteCumulative = cumulative;
  return q * h.count > lastFiniteCumulative;
}

/** Mean of a histogram (exact: sum / count), `null` without observations. */
export function histogramMean(h: Histogram): number | null {
  return h.count > 0 ? h.sum / h.count : null;
}

/** Sum of every series of a counter/gauge `name` passing `filter`; `null` when not exposed. */
export function scalar(samples: readonly Sample[], name: string, filter?: LabelFilter): number | null {
  let found = false;
  let total = 0;
  for (const s of samples) {
    if (s.name !== name || (filter && !filter(s.labels))) continue;
    found = true;
    total += s.value;
  }
  return found ? total : null;
}

/** `GET url` and parse; `null` when the endpoint does not answer 200 within `timeoutMs`. */
export async function scrape(url: string, timeoutMs = 5000): Promise<Sample[] | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return null;
    return parsePrometheus(await response.text());
  } catch {
    return null;
  }
}
