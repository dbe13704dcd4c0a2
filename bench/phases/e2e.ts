import { breakdown, projectionLag, snapshot, type Breakdown, type MetricsSnapshot } from '../lib/breakdown';
import { httpClosedLoop, httpFixedRate, type HttpTarget } from '../lib/http-load';
import { KafkaCommandClient, kafkaClosedLoop, kafkaFixedRate, type KafkaTarget } from '../lib/kafka-load';
import { ResourceSampler, type GroupUsage } from '../lib/procs';
import type { RunResult } from '../lib/recorder';
import { now, round, sleep, spread, summarize } from '../lib/stats';
import type { LevelResult, LevelSummary, PathResult, Usage } from '../lib/types';
import { ticketDocId } from '../lib/workload';
import { guarded, type BenchContext } from './context';

/**
 * Phase 1, end to end: the HTTP sweep and its half-rate runs, then straight to Kafka, each level repeated
 * with resources sampled and /metrics scraped around every run; then what one point read costs on the
 * services' `tickets` collection at its size.
 */

type Drain = { drained: boolean | null; seconds: number };

/** Waits (at most `capS`) until the projection reports no backlog (`projection_lag_events` 0). */
export async function drain(ctx: BenchContext, capS: number): Promise<Drain> {
  const start = now();
  for (;;) {
    const lag = await projectionLag(ctx.endpoints);
    if (lag === null) {
      await sleep(1000);
      return { drained: null, seconds: round((now() - start) / 1000) };
    }
    if (lag === 0) return { drained: true, seconds: round((now() - start) / 1000) };
    if (now() - start > capS * 1000) return { drained: false, seconds: round((now() - start) / 1000) };
    await sleep(250);
  }
}

function summarizeRuns(runs: RunResult[]): LevelSummary {
  const pick = (f: (r: RunResult) => number | null | undefined) => spread(runs.map(f));
  return {
    commands_per_s: pick((r) => r.commands_per_s),
    error_share: pick((r) => r.error_share),
    result_p50_ms: pick((r) => r.result_latency_ms?.p50),
    result_p95_ms: pick((r) => r.result_latency_ms?.p95),
    result_p99_ms: pick((r) => r.result_latency_ms?.p99),
    readmodel_p50_ms: pick((r) => r.readmodel_latency_ms?.p50),
    readmodel_p95_ms: pick((r) => r.readmodel_latency_ms?.p95),
    readmodel_p99_ms: pick((r) => r.readmodel_latency_ms?.p99),
    readmodel_samples: runs.reduce((s, r) => s + (r.readmodel_latency_ms?.n ?? 0), 0),
    readmodel_lower_bounds: runs.reduce((s, r) => s + r.readmodel_lower_bounds, 0),
    unfinished: runs.reduce((s, r) => s + r.unfinished, 0),
    readmodel_document_reads: runs.reduce((s, r) => s + r.readmodel_document_reads, 0),
  };
}

/** Runs `mode.repeats` runs at one level, sampling resources and scraping /metrics around each run. */
async function level(
  ctx: BenchContext,
  label: string,
  run: () => Promise<RunResult>,
  viaHttp: boolean,
  options: { drainBetween?: number } = {},
): Promise<Omit<LevelResult, 'concurrency' | 'rate'>> {
  const { mode, groups } = ctx;
  const runs: RunResult[] = [];
  const drains: Drain[] = [];
  const perRun: { before: MetricsSnapshot; after: MetricsSnapshot; seconds: number }[] = [];
  const cpu: Record<string, number> = {};
  const windowCpu: Record<string, number | null> = {};
  const peak: Record<string, number> = {};
  const source: Record<string, GroupUsage['source']> = {};
  let busyWeighted = 0;
  let busySeconds = 0;
  let busyCpu: number | null = null;
  let windowBusyCpu: number | null = null;
  let measuredSeconds = 0;
  let windowSeconds = 0;
  let windowCommands = 0;
  for (let r = 0; r < mode.repeats; r++) {
    if (options.drainBetween !== undefined && r > 0) drains.push(await drain(ctx, options.drainBetween));
    const before = await snapshot(ctx.endpoints);
    const sampler = new ResourceSampler(groups);
    await sampler.start();
    const startedAt = now();
    const res = await run();
    const seconds = (now() - startedAt) / 1000;
    const usage = await sampler.stop();
    perRun.push({ before, after: await snapshot(ctx.endpoints), seconds });
    measuredSeconds += seconds;
    for (const [name, g] of Object.entries(usage.groups)) {
      if (g.cpu_seconds !== null) cpu[name] = (cpu[name] ?? 0) + g.cpu_seconds;
      if (g.peak_rss_mb !== null) peak[name] = Math.max(peak[name] ?? 0, g.peak_rss_mb);
      source[name] = g.source;
    }
    // CPU per command counts only the measured window: the commands completed in it, the CPU spent in it.
    const inWindow = sampler.cpuBetween(res.window_start_ms, res.window_end_ms);
    for (const [name, c] of Object.entries(inWindow.groups)) {
      windowCpu[name] = c === null ? (windowCpu[name] ?? null) : (windowCpu[name] ?? 0) + c;
    }
    if (inWindow.machine !== null) windowBusyCpu = (windowBusyCpu ?? 0) + inWindow.machine;
    windowSeconds += res.window_s;
    windowCommands += res.commands_ok;
    if (usage.machine_busy_share !== null) {
      busyWeighted += usage.machine_busy_share * usage.seconds;
      busySeconds += usage.seconds;
    }
    if (usage.machine_busy_cpu_s !== null) busyCpu = (busyCpu ?? 0) + usage.machine_busy_cpu_s;
    runs.push(res);
    ctx.log(
      `${label} run ${r + 1}/${mode.repeats}: ${res.commands_per_s} commands/s, result p50/p99 ${res.result_latency_ms?.p50 ?? '-'}/${res.result_latency_ms?.p99 ?? '-'} ms, ` +
        `read model p50/p99 ${res.readmodel_latency_ms?.p50 ?? '-'}/${res.readmodel_latency_ms?.p99 ?? '-'} ms (n=${res.readmodel_latency_ms?.n ?? 0}), errors ${(res.error_share * 100).toFixed(1)}%`,
    );
  }
  const usage: Usage = {
    groups: Object.fromEntries(
      groups.map((g) => [
        g.name,
        {
          peak_rss_mb: peak[g.name] ?? null,
          cpu_seconds: cpu[g.name] === undefined ? null : round(cpu[g.name], 2),
          source: source[g.name] ?? 'none',
        },
      ]),
    ),
    machine_busy_share: busySeconds > 0 ? round(busyWeighted / busySeconds) : null,
    machine_busy_cpu_s: busyCpu === null ? null : round(busyCpu, 2),
    seconds: round(measuredSeconds),
    window: {
      seconds: round(windowSeconds),
      commands: windowCommands,
      cpu_seconds: Object.fromEntries(
        groups.map((g) => [g.name, windowCpu[g.name] == null ? null : round(windowCpu[g.name]!, 3)]),
      ),
      machine_busy_cpu_s: windowBusyCpu === null ? null : round(windowBusyCpu, 3),
    },
  };
  return {
    runs,
    summary: summarizeRuns(runs),
    usage,
    breakdown: breakdownOverRuns(perRun, runs, viaHttp),
    ...(drains.length ? { drains } : {}),
  };
}

/** The level with the highest median commands/s among those with under 1% errors (else the best of all). */
function pickSustained(ctx: BenchContext, levels: LevelResult[]): PathResult['sustained'] {
  const ok = levels.filter((l) => (l.summary.error_share?.median ?? 1) < 0.01 && l.summary.commands_per_s);
  const pool = ok.length ? ok : levels.filter((l) => l.summary.commands_per_s);
  if (!ok.length && pool.length)
    ctx.notes.push('No level ran with under 1% errors; the sustained rate is the best level regardless.');
  const best = [...pool].sort(
    (a, b) => b.summary.commands_per_s!.median - a.summary.commands_per_s!.median,
  )[0];
  return best
    ? {
        concurrency: best.concurrency!,
        commands_per_s: best.summary.commands_per_s!,
        error_share: best.summary.error_share?.median ?? null,
      }
    : null;
}

/** A closed-loop sweep over `levels`, then fixed-rate runs at half the sustained rate (when `halfRate`). */
async function sweep(
  ctx: BenchContext,
  name: string,
  unit: string,
  levels: readonly number[],
  closedLoop: (concurrency: number) => Promise<RunResult>,
  fixedRate: ((rate: number) => Promise<RunResult>) | null,
  viaHttp: boolean,
): Promise<PathResult> {
  const { mode } = ctx;
  const results: LevelResult[] = [];
  for (const concurrency of levels) {
    const lv = await level(ctx, `${name} ${unit}=${concurrency}`, () => closedLoop(concurrency), viaHttp);
    results.push({ concurrency, ...lv });
  }
  const sustained = pickSustained(ctx, results);
  let half: LevelResult | null = null;
  if (sustained && fixedRate) {
    const rate = Math.max(1, sustained.commands_per_s.median / 2);
    ctx.log(
      `${name} sustained ${sustained.commands_per_s.median} commands/s at ${unit}=${sustained.concurrency}; fixed rate ${rate.toFixed(1)}/s (half), read model drained first (cap ${mode.drain_cap_s} s)`,
    );
    const first = await drain(ctx, mode.drain_cap_s);
    const lv = await level(ctx, `${name} @${rate.toFixed(0)}/s`, () => fixedRate(rate), viaHttp, {
      drainBetween: mode.drain_between_cap_s,
    });
    half = { rate: round(rate, 1), ...lv, drains: [first, ...(lv.drains ?? [])] };
  }
  return { levels: results, sustained, half_rate: half };
}

/** 1a and 1b: through the gateway, then straight to Kafka (each only if its phase was asked for). */
export async function runEndToEnd(ctx: BenchContext): Promise<void> {
  const { mode, phases, result, endpoints: e } = ctx;
  // The results consumer takes seconds to join its group: start it now, use it after the HTTP phase.
  let kafkaClient: KafkaCommandClient | null = null;
  let kafkaReady: Promise<void> | null = null;
  if (phases.has('kafka')) {
    kafkaClient = new KafkaCommandClient(ctx.config.kafkaBrokers, ctx.topics);
    kafkaReady = kafkaClient.start();
    kafkaReady.catch(() => undefined);
  }

  if (phases.has('http')) {
    await guarded(ctx, 'http', async () => {
      const target: HttpTarget = {
        host: e.host,
        port: e.gateway,
        token: ctx.token,
        space: ctx.space,
        mix: ctx.mix,
        watcher: ctx.watcher,
      };
      ctx.log('warm-up: 2 s through the gateway (not recorded)');
      await httpClosedLoop({ ...target, watcher: null }, 8, 2, 0, 2);
      result.http = await sweep(
        ctx,
        'HTTP',
        'c',
        mode.http_levels,
        (c) =>
          httpClosedLoop(target, c, mode.duration_s, mode.warmup_s, mode.tail_cap_s, mode.watch.sweepGraceMs),
        (rate) => httpFixedRate(target, rate, mode.fixed_duration_s, mode.warmup_s, mode.watch.fixedGraceMs),
        true,
      );
    });
  }

  if (phases.has('kafka') && kafkaClient) {
    const client = kafkaClient;
    await guarded(ctx, 'kafka', async () => {
      try {
        ctx.log('Kafka: waiting for the results consumer');
        await kafkaReady;
        const target: KafkaTarget = { client, space: ctx.space, mix: ctx.mix, watcher: ctx.watcher };
        result.kafka = await sweep(
          ctx,
          'Kafka',
          'w',
          mode.kafka_levels,
          (w) =>
            kafkaClosedLoop(
              target,
              w,
              mode.duration_s,
              mode.warmup_s,
              mode.tail_cap_s,
              mode.watch.sweepGraceMs,
            ),
          mode.kafka_half_rate
            ? (rate) =>
                kafkaFixedRate(target, rate, mode.fixed_duration_s, mode.warmup_s, mode.watch.fixedGraceMs)
            : null,
          false,
        );
        for (const [k, v] of client.sampleResults) ctx.sampleResults.set(k, v);
      } finally {
        await client.stop();
      }
    });
  }

  if (ctx.mix.issued() > 0) {
    await guarded(ctx, 'read-model probe', async () => {
      const tickets = ctx.mongo.db!.collection(ctx.ticketsCollection);
      const documents = await tickets.estimatedDocumentCount();
      const reads: number[] = [];
      for (let k = 0; k < 30; k++) {
        const id = ticketDocId(ctx.space, ctx.mix.shortnameOf(Math.floor(Math.random() * ctx.mix.issued())));
        const t = now();
        await tickets.findOne({ _id: id as never }, { projection: { revision: 1 } });
        reads.push(now() - t);
      }
      result.readmodel_probe = { collection_documents: documents, point_read_ms: summarize(reads) };
      ctx.log(
        `services' read model: ${documents} ticket documents; point read by _id p50 ${result.readmodel_probe.point_read_ms?.p50} ms`,
      );
    });
  }
}

/** The breakdown of each run (its own before/after scrapes), combined over the runs of a level. */
function breakdownOverRuns(
  deltas: { before: MetricsSnapshot; after: MetricsSnapshot; seconds: number }[],
  runs: RunResult[],
  viaHttp: boolean,
): Breakdown | null {
  if (deltas.length === 0) return null;
  // Each run's breakdown from its own before/after; then means weighted by their counts.
  const parts = deltas.map((d, i) =>
    breakdown(
      d.before,
      d.after,
      { result: runs[i].result_latency_ms, readModel: runs[i].readmodel_latency_ms },
      d.seconds,
      viaHttp,
    ),
  );
  const first = parts[0];
  const stages = first.stages.map((stage, idx) => {
    const rows = parts.map((p) => p.stages[idx]);
    const weight = (r: (typeof rows)[number]) => r.count ?? 1;
    const withMean = rows.filter((r) => r.mean_ms !== null);
    const mean = withMean.length
      ? withMean.reduce((s, r) => s + r.mean_ms! * weight(r), 0) / withMean.reduce((s, r) => s + weight(r), 0)
      : null;
    const med = (f: (r: (typeof rows)[number]) => number | null) => spread(rows.map(f))?.median ?? null;
    const counts = rows.map((r) => r.count).filter((c): c is number => c !== null);
    return {
      ...stage,
      mean_ms: mean === null ? null : round(mean, 2),
      p50_ms: med((r) => r.p50_ms),
      p99_ms: med((r) => r.p99_ms),
      p50_above: rows.some((r) => r.p50_above) || undefined,
      p99_above: rows.some((r) => r.p99_above) || undefined,
      count: counts.length ? counts.reduce((s, c) => s + c, 0) : null,
    };
  });
  const sumOrNull = (values: (number | null)[]) =>
    values.every((v) => v === null) ? null : values.reduce<number>((s, v) => s + (v ?? 0), 0);
  return {
    stages,
    projection_events_per_s: spread(parts.map((p) => p.projection_events_per_s))?.median ?? null,
    projection_lag_events_after: parts[parts.length - 1].projection_lag_events_after,
    gateway_timeouts: sumOrNull(parts.map((p) => p.gateway_timeouts)),
    note: `${first.note} Computed per run; means weighted by counts, p50/p99 are medians over the runs.`,
  };
}
