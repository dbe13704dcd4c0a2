import { RawBaseline, newTag, type ComponentRun } from '../lib/baseline';
import { ratio, spread } from '../lib/stats';
import type { Templates } from '../lib/templates';
import { guarded, type BenchContext } from './context';

/**
 * Phase 2, the raw baseline: the work the pipeline cannot avoid for one measured sustained run's worth of
 * commands (at least 500), with bare drivers, in scratch topics, schema and database (dropped at the end).
 */
export async function runBaseline(ctx: BenchContext, templates: Templates): Promise<void> {
  const { mode, result, config, notes, log } = ctx;
  const sustainedLevel =
    result.http?.levels.find((l) => l.concurrency === result.http?.sustained?.concurrency) ??
    result.kafka?.levels.find((l) => l.concurrency === result.kafka?.sustained?.concurrency) ??
    null;
  const commands = Math.max(
    500,
    Math.round(spread((sustainedLevel?.runs ?? []).map((r) => r.commands_ok))?.median ?? 1000),
  );
  const tag = newTag();
  const baseline = new RawBaseline({
    brokers: config.kafkaBrokers,
    pgUrl: config.POSTGRES_URL,
    mongoUri: config.MONGODB_URI,
    tag,
    templates,
    sampleResults: ctx.sampleResults,
    concurrency: mode.baseline.concurrency,
  });
  await guarded(ctx, 'baseline', async () => {
    try {
      log(
        `raw baseline: ${commands} commands per run (one sustained pipeline run's worth), scratch topics/schema/db bench*_${tag}`,
      );
      await baseline.setup();
      const cap = mode.baseline.cap_s * 1000;
      const comp: Record<'kafka' | 'pg_adapter' | 'pg_raw' | 'mongo', ComponentRun[]> = {
        kafka: [],
        pg_adapter: [],
        pg_raw: [],
        mongo: [],
      };
      for (let r = 0; r < mode.baseline.repeats; r++) {
        comp.kafka.push(await baseline.kafka(commands, cap));
        comp.pg_adapter.push(await baseline.pgAdapter(commands, cap));
        comp.pg_raw.push(await baseline.pgRaw(commands, cap));
        comp.mongo.push(await baseline.mongo(commands, cap));
        log(
          `baseline run ${r + 1}/${mode.baseline.repeats}: kafka ${comp.kafka[r].per_s}/s, pg adapter ${comp.pg_adapter[r].per_s}/s, ` +
            `pg raw ${comp.pg_raw[r].per_s}/s, mongo ${comp.mongo[r].per_s}/s (commands/s)`,
        );
      }
      const combined: ComponentRun[] = [];
      for (let r = 0; r < mode.baseline.repeats; r++) {
        combined.push(await baseline.combined(commands, cap));
        log(`baseline combined run ${r + 1}/${mode.baseline.repeats}: ${combined[r].per_s} commands/s`);
      }
      const summarizeComponent = (runs: ComponentRun[]) => ({
        runs,
        per_s: spread(runs.map((x) => x.per_s)),
        latency_p50_ms: spread(runs.map((x) => x.latency_ms?.p50)),
        latency_p99_ms: spread(runs.map((x) => x.latency_ms?.p99)),
      });
      const ceiling = spread(combined.map((x) => x.per_s));
      const components = {
        kafka: summarizeComponent(comp.kafka),
        pg_adapter: summarizeComponent(comp.pg_adapter),
        pg_raw: summarizeComponent(comp.pg_raw),
        mongo: summarizeComponent(comp.mongo),
      };
      result.baseline = {
        commands,
        concurrency: mode.baseline.concurrency,
        templates: { source: templates.source, count: templates.templates.length, bytes: templates.bytes },
        components,
        combined: { runs: combined, per_s: ceiling },
        ratio_http: ratio(result.http?.sustained?.commands_per_s.median, ceiling?.median),
        ratio_kafka: ratio(result.kafka?.sustained?.commands_per_s.median, ceiling?.median),
        adapter_vs_raw_pg: ratio(components.pg_adapter.per_s?.median, components.pg_raw.per_s?.median),
      };
      if ([...combined, ...Object.values(comp).flat()].some((x) => x.capped)) {
        notes.push(
          `Some baseline runs hit their ${mode.baseline.cap_s} s cap before ${commands} commands; their rate is over the work done.`,
        );
      }
    } finally {
      await baseline.teardown();
    }
  });
}
