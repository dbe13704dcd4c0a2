import type { BenchResult, LevelResult } from '../run';
import type { Breakdown } from './breakdown';
import { round } from './stats';

/**
 * The issue's targets, checked against what was measured (never asserted: a miss is reported with its size
 * and with what the breakdown and the resources show).
 */
export interface TargetResult {
  readonly target: string;
  readonly measured: number | null;
  readonly unit: string;
  readonly threshold: number;
  readonly direction: '>=' | '<';
  /** `null` when the figure could not be measured. */
  readonly met: boolean | null;
  /** How far off (or how much headroom). */
  readonly gap: string;
  /** For a miss: what the breakdown / resources / baseline show. */
  readonly evidence: string;
}

const RESULT_STAGES = [/^HTTP:/, /^Kafka/, /^ticket-service: consume/, /^ {2}ticket-service step/];
const READ_MODEL_STAGES = [/^projection: apply lag/, /^result -> read model/];

/** The largest stages by mean (of request -> result, or also of the read model), as text. */
function largestStages(b: Breakdown | null | undefined, count = 3, withReadModel = false): string {
  if (!b) return 'no breakdown';
  const kinds = withReadModel ? [...RESULT_STAGES, ...READ_MODEL_STAGES] : RESULT_STAGES;
  const leaves = b.stages.filter((s) => s.mean_ms !== null && kinds.some((re) => re.test(s.stage)));
  // A ticket-service total and its steps overlap: keep the steps when exposed.
  const hasSteps = leaves.some((s) => s.stage.trim().startsWith('ticket-service step'));
  const chosen = leaves.filter((s) => !(hasSteps && s.stage.startsWith('ticket-service: consume')));
  const total = b.stages.find((s) => s.stage.startsWith('request -> result'))?.mean_ms ?? null;
  return chosen
    .sort((a, z) => z.mean_ms! - a.mean_ms!)
    .slice(0, count)
    .map(
      (s) =>
        `${s.stage.trim()} ${s.mean_ms} ms${total ? ` (${Math.round((s.mean_ms! / total) * 100)}% of ${total} ms)` : ''}`,
    )
    .join('; ');
}

function cpuTop(level: LevelResult | null | undefined): string {
  if (!level?.usage || level.usage.commands === 0) return '';
  const per = Object.entries(level.usage.groups)
    .filter(([, g]) => g.cpu_seconds !== null)
    .map(([name, g]) => [name, (g.cpu_seconds! * 1000) / level.usage!.commands] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([name, ms]) => `${name} ${round(ms, 2)}`);
  const busy = level.usage.machine_busy_share;
  return `CPU ms per command: ${per.join(', ')}${busy !== null ? `; machine CPU busy ${Math.round(busy * 100)}%` : ''}`;
}

function gapAtLeast(measured: number, threshold: number, unit: string): string {
  if (measured >= threshold) return `met, ${round(measured / threshold, 2)}x the target`;
  return `missed by ${round(threshold - measured, 1)} ${unit} (${round((measured / threshold) * 100, 1)}% of target; needs ${round(threshold / Math.max(measured, 1e-9), 1)}x)`;
}

function gapBelow(measured: number, threshold: number, unit: string, lowerBound = false): string {
  if (measured < threshold) return `met, ${round(threshold - measured, 1)} ${unit} headroom`;
  return `missed by ${lowerBound ? 'at least ' : ''}${round(measured - threshold, 1)} ${unit} (${round(measured / threshold, 2)}x the limit)`;
}

export function evaluateTargets(r: BenchResult): TargetResult[] {
  const out: TargetResult[] = [];
  const add = (
    target: string,
    measured: number | null | undefined,
    unit: string,
    threshold: number,
    direction: '>=' | '<',
    evidence: () => string,
    lowerBound = false,
  ) => {
    const m = typeof measured === 'number' && Number.isFinite(measured) ? measured : null;
    const met = m === null ? null : direction === '>=' ? m >= threshold : m < threshold;
    out.push({
      target,
      measured: m,
      unit,
      threshold,
      direction,
      met,
      gap:
        m === null
          ? 'not measured'
          : direction === '>='
            ? gapAtLeast(m, threshold, unit)
            : gapBelow(m, threshold, unit, lowerBound),
      evidence: met === false ? evidence() : '',
    });
  };
  const http = r.http;
  const sustainedLevel = http?.levels.find((l) => l.concurrency === http.sustained?.concurrency);
  const half = http?.half_rate;

  add(
    'sustained end-to-end commands/s (HTTP)',
    http?.sustained?.commands_per_s.median,
    'commands/s',
    1000,
    '>=',
    () =>
      [
        `at c=${http?.sustained?.concurrency}: ${largestStages(sustainedLevel?.breakdown)}`,
        cpuTop(sustainedLevel),
        r.kafka?.sustained
          ? `straight to Kafka (no gateway): ${r.kafka.sustained.commands_per_s.median} commands/s`
          : '',
      ]
        .filter(Boolean)
        .join('. '),
  );
  add(
    'p99 request -> result at half the sustained rate (HTTP)',
    half?.summary.result_p99_ms?.median,
    'ms',
    100,
    '<',
    () => `at ${half?.rate}/s: ${largestStages(half?.breakdown)}. ${cpuTop(half)}`,
  );
  const rmTimeouts = half?.summary.readmodel_lower_bounds ?? 0;
  add(
    'p99 request -> read model at half the sustained rate (HTTP)',
    half?.summary.readmodel_p99_ms?.median,
    'ms',
    250,
    '<',
    () => {
      const b = half?.breakdown;
      const offered = half?.rate;
      const mongoRead = r.baseline?.components.mongo.latency_p50_ms?.median;
      const live = r.readmodel_probe;
      return [
        b?.projection_events_per_s != null && offered
          ? `projection applied ${b.projection_events_per_s} events/s while ${offered} commands/s (1 event each) arrived`
          : '',
        b?.projection_lag_events_after != null
          ? `${b.projection_lag_events_after} events still waiting after the runs`
          : '',
        `result -> read model mean ${b?.stages.find((s) => s.stage.startsWith('result -> read model'))?.mean_ms ?? '?'} ms`,
        live?.point_read_ms
          ? `a point read by _id on the services' tickets collection (${live.collection_documents} documents) takes ${live.point_read_ms.p50} ms (p50)`
          : '',
        mongoRead != null ? `${mongoRead} ms on the baseline's small scratch collection` : '',
        rmTimeouts
          ? `${rmTimeouts} sampled commands not seen in the read model before their watch ended (counted with the time waited)`
          : '',
      ]
        .filter(Boolean)
        .join('; ');
    },
    rmTimeouts > 0,
  );
  add(
    'pipeline / raw baseline (HTTP sustained / combined ceiling)',
    r.baseline?.ratio_http,
    'x',
    0.5,
    '>=',
    () => {
      const c = r.baseline?.components;
      if (!c) return '';
      return `ceiling ${r.baseline?.combined.per_s?.median} commands/s; alone: Kafka round trips ${c.kafka.per_s?.median}/s, adapter appends ${c.pg_adapter.per_s?.median}/s, raw pg inserts ${c.pg_raw.per_s?.median}/s, Mongo writes ${c.mongo.per_s?.median}/s (commands/s)`;
    },
  );
  add('rebuild events/s', r.rebuild?.replay.events_per_s?.median, 'events/s', 10_000, '>=', () => {
    const rb = r.rebuild;
    const mongoRead = r.baseline?.components.mongo.latency_p50_ms?.median;
    return [
      rb
        ? `one event costs ~${round(1000 / Math.max(rb.replay.events_per_s?.median ?? 1, 1e-9), 2)} ms of sequential round trips (guard read, counter upserts, document write)`
        : '',
      rb?.replay.events_per_s_last_quarter
        ? `last quarter of the replays: ${rb.replay.events_per_s_last_quarter.median} events/s`
        : '',
      mongoRead != null ? `FerretDB point read by _id p50 ${mongoRead} ms (baseline scratch collection)` : '',
      r.readmodel_probe?.point_read_ms
        ? `${r.readmodel_probe.point_read_ms.p50} ms on the services' tickets collection of ${r.readmodel_probe.collection_documents} documents`
        : '',
    ]
      .filter(Boolean)
      .join('; ');
  });
  add('rebuild / direct bulk insert', r.rebuild?.ratio, 'x', 0.5, '>=', () =>
    r.rebuild
      ? `replay ${r.rebuild.replay.events_per_s?.median} events/s vs bulk insert of the final documents ${r.rebuild.bulk.events_equivalent_per_s?.median} events-equivalent/s`
      : '',
  );
  for (const service of ['gateway', 'ticket-service', 'projection-service']) {
    add(
      `${service} peak RSS`,
      r.resources[service]?.peak_rss_mb,
      'MB',
      250,
      '<',
      () => 'peak over every end-to-end run (sampled every 250 ms)',
    );
  }
  return out;
}
