import type { Breakdown } from './breakdown';
import { round } from './stats';
import { LOAD_GENERATOR, type BenchResult, type CpuPerCommand } from './types';

/**
 * The targets, each with a milestone and a goal, checked against what was measured (never asserted: a miss
 * is reported with what the breakdown, the CPU split and the baseline show).
 */
export interface TargetResult {
  readonly figure: string;
  /** The measured value(s) as text, with units. */
  readonly measured: string;
  /** The figure(s) compared (null when not measured), in the order of the thresholds. */
  readonly values: readonly (number | null)[];
  readonly milestone: string;
  readonly goal: string;
  /** `null` when the figure could not be measured. */
  readonly milestone_met: boolean | null;
  readonly goal_met: boolean | null;
  /** For a missed goal: what the breakdown / resources / baseline show. */
  readonly evidence: string;
}

/** One threshold: at least (`>=`) or at most (`<=`) `value`. */
interface Threshold {
  readonly direction: '>=' | '<=';
  readonly value: number;
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

/** The largest CPU consumers per command of one phase, as text. */
function cpuTop(cpu: CpuPerCommand | undefined): string {
  if (!cpu) return '';
  const per = Object.entries(cpu.per_process_ms)
    .filter((e): e is [string, number] => e[1] !== null && e[0] !== LOAD_GENERATOR)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([name, ms]) => `${name} ${round(ms, 2)}`);
  return `CPU ms per command (${cpu.phase}): ${per.join(', ')}; load generator ${cpu.load_generator_ms === null ? '–' : round(cpu.load_generator_ms, 2)}, everything else on the machine ${cpu.everything_else_ms === null ? '–' : round(cpu.everything_else_ms, 2)}`;
}

function meets(value: number | null, t: Threshold): boolean | null {
  if (value === null) return null;
  return t.direction === '>=' ? value >= t.value : value <= t.value;
}

/** All of `values` meet their thresholds (`null` when any is unmeasured). */
function allMeet(values: readonly (number | null)[], thresholds: readonly Threshold[]): boolean | null {
  const checks = thresholds.map((t, i) => meets(values[i] ?? null, t));
  return checks.some((c) => c === null) ? null : checks.every(Boolean);
}

const n = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const text = (v: number | null, digits: number, unit: string) =>
  v === null ? '–' : `${v.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit}`;

/** "Flat" read at size: at most this ratio of the large size's p50 to the small size's. */
export const FLAT_RATIO = 1.1;

export function evaluateTargets(r: BenchResult): TargetResult[] {
  const out: TargetResult[] = [];
  const add = (
    figure: string,
    values: (number | null)[],
    measured: string,
    milestone: [string, Threshold[]],
    goal: [string, Threshold[]],
    evidence: () => string,
  ) => {
    const goalMet = allMeet(values, goal[1]);
    out.push({
      figure,
      measured,
      values,
      milestone: milestone[0],
      goal: goal[0],
      milestone_met: allMeet(values, milestone[1]),
      goal_met: goalMet,
      evidence: goalMet === false ? evidence() : '',
    });
  };
  const atLeast = (value: number): Threshold[] => [{ direction: '>=', value }];
  const atMost = (value: number): Threshold[] => [{ direction: '<=', value }];
  const http = r.http;
  const sustainedLevel = http?.levels.find((l) => l.concurrency === http.sustained?.concurrency);
  const half = http?.half_rate;
  const cpuHttp = r.cpu_per_command.find((c) => c.phase.startsWith('HTTP sustained'));
  const cpuKafka = r.cpu_per_command.find((c) => c.phase.startsWith('Kafka direct sustained'));

  const httpRate = n(http?.sustained?.commands_per_s.median);
  add(
    'HTTP sustained commands/s',
    [httpRate],
    text(httpRate, 0, ''),
    ['500', atLeast(500)],
    ['1,000+', atLeast(1000)],
    () =>
      [`at c=${http?.sustained?.concurrency}: ${largestStages(sustainedLevel?.breakdown)}`, cpuTop(cpuHttp)]
        .filter(Boolean)
        .join('. '),
  );
  const kafkaRate = n(r.kafka?.sustained?.commands_per_s.median);
  add(
    'Kafka direct commands/s',
    [kafkaRate],
    text(kafkaRate, 0, ''),
    ['1,000', atLeast(1000)],
    ['2,000+', atLeast(2000)],
    () => cpuTop(cpuKafka),
  );
  const cpu = n(cpuHttp?.system_ms ?? cpuKafka?.system_ms);
  add(
    `CPU ms per command, all processes summed (${cpuHttp ? 'HTTP' : 'Kafka direct'} sustained; load generator apart)`,
    [cpu],
    text(cpu, 2, ' ms'),
    ['4', atMost(4)],
    ['1', atMost(1)],
    () => cpuTop(cpuHttp ?? cpuKafka),
  );
  const resultP99 = n(half?.summary.result_p99_ms?.median);
  add(
    `p99 request -> result at half rate (HTTP${half ? `, ${half.rate}/s` : ''})`,
    [resultP99],
    text(resultP99, 1, ' ms'),
    ['50 ms', atMost(50)],
    ['25 ms', atMost(25)],
    () => `${largestStages(half?.breakdown)}`,
  );
  const rmP99 = n(half?.summary.readmodel_p99_ms?.median);
  const unseen = half?.summary.readmodel_lower_bounds ?? 0;
  add(
    `p99 request -> read model at half rate (HTTP${half ? `, ${half.rate}/s` : ''})`,
    [rmP99],
    `${unseen ? '≥ ' : ''}${text(rmP99, 1, ' ms')}`,
    ['100 ms', atMost(100)],
    ['50 ms', atMost(50)],
    () =>
      [
        largestStages(half?.breakdown, 3, true),
        unseen ? `${unseen} sampled commands not seen in the read model before their watch ended` : '',
      ]
        .filter(Boolean)
        .join('; '),
  );
  const rebuildRate = n(r.rebuild?.replay.events_per_s?.median);
  const rebuildRatio = n(r.rebuild?.ratio);
  add(
    'rebuild events/s; ratio to bulk insert',
    [rebuildRate, rebuildRatio],
    `${text(rebuildRate, 0, '')}; ${text(rebuildRatio, 3, 'x')}`,
    ['20,000; 0.5x', [...atLeast(20_000), ...atLeast(0.5)]],
    ['50,000; 0.8x', [...atLeast(50_000), ...atLeast(0.8)]],
    () =>
      r.rebuild
        ? `replay ${rebuildRate} events/s (last quarter ${r.rebuild.replay.events_per_s_last_quarter?.median ?? '–'}) vs bulk insert of the final documents ${r.rebuild.bulk.events_equivalent_per_s?.median} events-equivalent/s`
        : '',
  );
  const g = r.growth;
  const reads = g
    ? ([
        ['point read', g.ratios.point_read],
        ['search', g.ratios.search],
        ['counters', g.ratios.counters],
        ['dashboard summary', g.ratios.summary],
      ] as const)
    : [];
  const worst =
    reads.length && reads.every(([, v]) => v !== null) ? Math.max(...reads.map(([, v]) => v!)) : null;
  const sizes = g ? `${g.small.space_documents.toLocaleString('en-US')}` : '10k';
  add(
    `point read / search / dashboard at ${g ? g.large.space_documents.toLocaleString('en-US') : '1M'} vs ${sizes} tickets (worst p50 ratio)`,
    [worst],
    g ? `${text(worst, 2, 'x')} (${reads.map(([name, v]) => `${name} ${text(v, 2, 'x')}`).join(', ')})` : '–',
    ['<= 1.5x', atMost(1.5)],
    [`flat (<= ${FLAT_RATIO}x)`, atMost(FLAT_RATIO)],
    () =>
      g
        ? `p50 ms small -> large: point read ${g.small.point_read_ms?.p50} -> ${g.large.point_read_ms?.p50}, search ${g.small.search_ms?.p50} -> ${g.large.search_ms?.p50} (${g.large.search_total} matches), counters ${g.small.counters_ms?.p50} -> ${g.large.counters_ms?.p50}, summary ${g.small.summary_ms?.p50} -> ${g.large.summary_ms?.p50}`
        : '',
  );
  const services = ['gateway', 'ticket-service', 'projection-service'];
  const rss = services.map((s) => n(r.resources[s]?.peak_rss_mb));
  const maxRss = rss.every((v) => v === null) ? null : Math.max(...rss.map((v) => v ?? 0));
  add(
    'peak RSS per service',
    [maxRss],
    services.map((s, i) => `${s} ${text(rss[i], 0, '')}`).join(', ') + ' MB',
    ['<= 250 MB', atMost(250)],
    ['<= 150 MB', atMost(150)],
    () => 'peak over every end-to-end run (sampled every 250 ms)',
  );
  return out;
}
