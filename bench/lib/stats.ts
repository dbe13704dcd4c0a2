/**
 * Small statistics helpers: latency percentiles of one run, and the median + spread of a figure over
 * repeated runs (every figure in the report is "median (min-max, n runs)").
 */

/** Linear-interpolated percentile of an ascending array (`p` in 0..100); `null` for an empty array. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (sorted.length === 1) return sorted[0];
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Latency distribution of one run, in milliseconds. */
export interface LatencySummary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Summary of `values` (ms); `null` when there is none. */
export function summarize(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    n: sorted.length,
    mean: round(mean),
    p50: round(percentile(sorted, 50)!),
    p95: round(percentile(sorted, 95)!),
    p99: round(percentile(sorted, 99)!),
    max: round(sorted[sorted.length - 1]),
  };
}

/** A figure over repeated runs: its median and spread (min-max and inter-quartile range). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly q1: number;
  readonly q3: number;
  /** Number of runs that produced a value. */
  readonly n: number;
  readonly values: readonly number[];
}

/** Median and spread of the non-null values; `null` when no run produced one. */
export function spread(values: readonly (number | null | undefined)[]): Spread | null {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return null;
  const sorted = [...present].sort((a, b) => a - b);
  return {
    median: round(percentile(sorted, 50)!),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
    q1: round(percentile(sorted, 25)!),
    q3: round(percentile(sorted, 75)!),
    n: sorted.length,
    values: present.map(round),
  };
}

/** Rounds to 3 significant decimals for readability in the JSON (keeps integers as they are). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `a / b`, or `null` when either is missing or `b` is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return null;
  return round(a / b);
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution (monotonic). */
export function now(): number {
  return performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
