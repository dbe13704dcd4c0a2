import { LOAD_GENERATOR, type BenchResult, type LevelResult, type PathResult } from './types';
import { describeMachine } from './machine';
import type { LatencySummary, Spread } from './stats';

/** The markdown table of one run (bench/results/<date>.<mode>.md; pasted into the README). */

/** `median (min–max)`, with `digits` decimals. */
export function fmt(s: Spread | null | undefined, digits = 0, suffix = ''): string {
  if (!s) return '–';
  const f = (v: number) =>
    v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return s.n > 1 && s.min !== s.max
    ? `${f(s.median)}${suffix} (${f(s.min)}–${f(s.max)})`
    : `${f(s.median)}${suffix}`;
}

function num(v: number | null | undefined, digits = 0, suffix = ''): string {
  return typeof v === 'number' && Number.isFinite(v)
    ? `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })}${suffix}`
    : '–';
}

function levelRow(path: string, load: string, l: LevelResult): string {
  const s = l.summary;
  // Some read-model samples are lower bounds: the percentiles are then "at least".
  const rmNote = s.readmodel_lower_bounds ? ` (≥, ${s.readmodel_lower_bounds} unseen)` : '';
  return `| ${path} | ${load} | ${fmt(s.commands_per_s)} | ${fmt(s.result_p50_ms)} | ${fmt(s.result_p95_ms)} | ${fmt(s.result_p99_ms)} | ${fmt(s.readmodel_p50_ms)} | ${fmt(s.readmodel_p95_ms)} | ${fmt(s.readmodel_p99_ms)}${rmNote} | ${s.readmodel_samples} | ${fmt(s.error_share ? { ...s.error_share, median: s.error_share.median * 100, min: s.error_share.min * 100, max: s.error_share.max * 100 } : null, 1, '%')} |`;
}

function pathRows(name: string, p: PathResult | null, unit: string): string[] {
  if (!p) return [`| ${name} | not run | | | | | | | | | |`];
  const rows = p.levels.map((l) =>
    levelRow(
      name,
      `${unit}=${l.concurrency}${l.concurrency === p.sustained?.concurrency ? ' **(sustained)**' : ''}`,
      l,
    ),
  );
  if (p.half_rate) rows.push(levelRow(name, `**${p.half_rate.rate}/s fixed** (half)`, p.half_rate));
  return rows;
}

export function renderMarkdown(r: BenchResult): string {
  const lines: string[] = [];
  const date = r.started_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  lines.push(`### Benchmark ${date} — \`${r.mode}\` mode (${r.duration_s} s)`);
  lines.push('');
  lines.push(
    `Machine: ${describeMachine(r.machine)}. Servers, services and load generator share it; 1-min load average ${r.system.load_average.start} at start, ${r.system.load_average.end ?? '?'} at end.`,
  );
  lines.push(
    `Code: ${r.machine.git_commit ?? '?'}${r.machine.git_dirty_files ? ` + ${r.machine.git_dirty_files} uncommitted file(s) outside bench/` : ''}; services ${r.system.services}${r.system.fresh ? ' on a fresh event store schema and read-model database (`--fresh`)' : ' on the live event store and read model'}; ` +
      `event store PostgreSQL, read models MongoDB (mongod). Figures: median (min–max) of ${r.params.repeats} runs of ${r.params.duration_s} s (${r.params.warmup_s} s warm-up excluded).`,
  );
  lines.push('');

  lines.push('**End to end** (create + `start` mix; latencies in ms; read model = sampled, polled by `_id`)');
  lines.push('');
  lines.push(
    '| path | load | commands/s | result p50 | p95 | p99 | read model p50 | p95 | p99 | samples | errors |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  lines.push(...pathRows('HTTP (gateway)', r.http, 'c'));
  lines.push(...pathRows('Kafka direct', r.kafka, 'in flight'));
  lines.push('');
  lines.push(...cpuRows(r));

  const b = r.baseline;
  lines.push(
    `**Raw baseline** (same run, ${b ? `${b.commands} commands per run; tickets in flight: Kafka ${b.concurrency.kafka}, PostgreSQL ${b.concurrency.pg}, Mongo ${b.concurrency.mongo}; events ${b.templates.source}` : 'not run'})`,
  );
  lines.push('');
  if (b) {
    lines.push('| work (bare drivers, no framework) | commands/s | latency p50 / p99 ms |');
    lines.push('|---|---|---|');
    lines.push(
      `| Kafka: command + result, each produced and consumed (kafkajs) | ${fmt(b.components.kafka.per_s)} | ${fmt(b.components.kafka.latency_p50_ms, 1)} / ${fmt(b.components.kafka.latency_p99_ms, 1)} |`,
    );
    lines.push(
      `| PostgreSQL: append via PostgresEventStore adapter | ${fmt(b.components.pg_adapter.per_s)} | |`,
    );
    lines.push(`| PostgreSQL: raw \`pg\` single-row INSERT | ${fmt(b.components.pg_raw.per_s)} | |`);
    lines.push(
      `| MongoDB: the projection's document writes | ${fmt(b.components.mongo.per_s)} | point read by _id ${fmt(b.components.mongo.latency_p50_ms, 1)} / ${fmt(b.components.mongo.latency_p99_ms, 1)} |`,
    );
    lines.push(`| **ceiling: Kafka + raw pg + Mongo at once** | **${fmt(b.combined.per_s)}** | |`);
    lines.push(
      `| pipeline / ceiling | HTTP **${num(b.ratio_http, 2, 'x')}**, Kafka direct ${num(b.ratio_kafka, 2, 'x')} | adapter / raw pg ${num(b.adapter_vs_raw_pg, 2, 'x')} |`,
    );
  }
  lines.push('');

  const rb = r.rebuild;
  lines.push(
    `**Rebuild** (${rb ? `${rb.events.toLocaleString('en-US')} events seeded in ${rb.seed.seconds} s` : 'not run'})`,
  );
  lines.push('');
  if (rb) {
    const capped = rb.replay.runs.some((x) => x.capped);
    lines.push('| | events/s | note |');
    lines.push('|---|---|---|');
    lines.push(
      `| replay: ProjectionRunner + read models into a fresh database | ${fmt(rb.replay.events_per_s)} | ${capped ? `time-capped at ${r.params.rebuild.replay_cap_s} s (${rb.replay.runs.map((x) => x.events).join(', ')} events); last quarter ${fmt(rb.replay.events_per_s_last_quarter)}/s; whole replay ≈ ${num(rb.replay.runs[0]?.projected_total_s, 0)} s` : 'all events'} |`,
    );
    lines.push(
      `| bulk insert of the final documents + counters | ${fmt(rb.bulk.events_equivalent_per_s)} | events-equivalent (2 per ticket document)${rb.bulk.runs.some((x) => x.capped) ? `, capped at ${r.params.rebuild.bulk_cap_s} s` : ''} |`,
    );
    lines.push(`| **replay / bulk** | **${num(rb.ratio, 3, 'x')}** | |`);
  }
  lines.push('');

  lines.push(...growthRows(r));

  lines.push(
    `**Memory** (peak over all end-to-end runs, sampled every 250 ms${r.machine_busy_share_at_sustained !== null ? `; machine CPU busy ${Math.round(r.machine_busy_share_at_sustained * 100)}% at the first sustained level` : ''})`,
  );
  lines.push('');
  lines.push('| process | peak memory MB |');
  lines.push('|---|---|');
  for (const [name, g] of Object.entries(r.resources)) {
    const memory =
      g.source === 'proc-pss' ? `${num(g.peak_rss_mb, 0)} (PSS, all processes)` : num(g.peak_rss_mb, 0);
    lines.push(`| ${name} | ${memory} |`);
  }
  lines.push('');

  const half = r.http?.half_rate;
  const bd = half?.breakdown;
  lines.push(
    `**Where the time goes** (one command through the gateway at ${half ? `${half.rate}/s` : '–'}; from the services' /metrics, delta over the runs)`,
  );
  lines.push('');
  if (bd) {
    lines.push('| stage | mean ms | p50 | p99 | source |');
    lines.push('|---|---|---|---|---|');
    for (const s of bd.stages) {
      const q = (v: number | null, above?: boolean) => (above ? `> ${num(v, 0)}` : num(v, 1));
      lines.push(
        `| ${s.stage.replace(/^ {2}/, '↳ ')} | ${s.exposed ? num(s.mean_ms, 1) : '—'} | ${q(s.p50_ms, s.p50_above)} | ${q(s.p99_ms, s.p99_above)} | ${s.exposed ? s.source : `**${s.source}**`} |`,
      );
    }
    lines.push('');
    const probe = r.readmodel_probe;
    lines.push(
      `Projection applied ${num(bd.projection_events_per_s, 1)} events/s during these runs; ${num(bd.projection_lag_events_after, 0)} events waiting after them; gateway timeouts ${num(bd.gateway_timeouts, 0)}.` +
        (probe?.point_read_ms
          ? ` A point read by \`_id\` on the services' \`tickets\` collection (${probe.collection_documents.toLocaleString('en-US')} documents) takes ${num(probe.point_read_ms.p50, 1)} ms p50 / ${num(probe.point_read_ms.p99, 1)} ms p99.`
          : ''),
    );
  } else {
    lines.push('not measured');
  }
  lines.push('');

  lines.push(
    `**Targets** (goal ✅ met; milestone ✅ / goal ❌: the milestone is met; ❌ both missed${r.params.growth.sizes[1] !== 1_000_000 ? `; ${r.mode} mode: the growth row compares ${r.params.growth.sizes[1].toLocaleString('en-US')} with ${r.params.growth.sizes[0].toLocaleString('en-US')} tickets, not 1M with 10k` : ''})`,
  );
  lines.push('');
  lines.push('| figure | measured | milestone | goal | | what the breakdown shows |');
  lines.push('|---|---|---|---|---|---|');
  for (const t of r.targets) {
    const mark =
      t.goal_met === null
        ? '– not measured'
        : t.goal_met
          ? '✅ goal'
          : t.milestone_met
            ? '✅ milestone, ❌ goal'
            : '❌';
    lines.push(`| ${t.figure} | ${t.measured} | ${t.milestone} | ${t.goal} | ${mark} | ${t.evidence} |`);
  }
  lines.push('');
  if (r.notes.length || r.errors.length) {
    lines.push('Notes:');
    for (const n of r.notes) lines.push(`- ${n}`);
    for (const e of r.errors) lines.push(`- **${e.phase} failed**: ${e.message.split('\n')[0]}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The headline CPU table: ms per command summed over the system under test, and the split per process. */
function cpuRows(r: BenchResult): string[] {
  if (r.cpu_per_command.length === 0) return [];
  const names = Object.keys(r.cpu_per_command[0].per_process_ms).filter((n) => n !== LOAD_GENERATOR);
  const lines = [
    '**CPU per command** (ms of CPU, utime + stime from /proc over the measured windows / commands completed in them; all processes of the system under test summed, load generator apart)',
    '',
    `| phase | commands | **all processes** | ${names.join(' | ')} | load generator | everything else on the machine |`,
    `|---|---|---|${names.map(() => '---|').join('')}---|---|`,
  ];
  for (const c of r.cpu_per_command) {
    lines.push(
      `| ${c.phase} | ${c.commands} in ${num(c.window_s, 0)} s | **${num(c.system_ms, 2)}** | ${names.map((n) => num(c.per_process_ms[n], 2)).join(' | ')} | ${num(c.load_generator_ms, 2)} | ${num(c.everything_else_ms, 2)} |`,
    );
  }
  lines.push('');
  return lines;
}

/** The read model at two sizes: each read's p50 / p99 at both, and the ratio of the p50s. */
function growthRows(r: BenchResult): string[] {
  const g = r.growth;
  if (!g) return [];
  const small = g.small.space_documents.toLocaleString('en-US');
  const large = g.large.space_documents.toLocaleString('en-US');
  const cell = (s: LatencySummary | null) => (s ? `${num(s.p50, 1)} / ${num(s.p99, 1)}` : '–');
  const ryw = (m: typeof g.small) =>
    `${cell(m.read_your_writes_ms)}${m.read_your_writes_timeouts ? ` (${m.read_your_writes_timeouts} timed out)` : ''}${m.read_your_writes_errors ? ` (${m.read_your_writes_errors} errors)` : ''}`;
  const rows: [string, string, string, number | null][] = [
    [
      'point read by `_id` (`TicketsReadModel.findByKey`)',
      cell(g.small.point_read_ms),
      cell(g.large.point_read_ms),
      g.ratios.point_read,
    ],
    [
      `search, 3 filters (\`TicketSearch.search\`: tag ${g.search.criteria.filter_tags?.join(',')}, \`${g.search.criteria.search}\`, page of ${g.search.page.limit} + total; ${g.small.search_total ?? '?'} / ${g.large.search_total ?? '?'} matches)`,
      cell(g.small.search_ms),
      cell(g.large.search_ms),
      g.ratios.search,
    ],
    [
      'counters (`TicketDashboard.counters`, ticket_counters)',
      cell(g.small.counters_ms),
      cell(g.large.counters_ms),
      g.ratios.counters,
    ],
    [
      'dashboard summary (`TicketDashboard.summary`, 14 days)',
      cell(g.small.summary_ms),
      cell(g.large.summary_ms),
      g.ratios.summary,
    ],
    [
      'read-your-writes wait: result -> gateway read with `min_position` answered',
      ryw(g.small),
      ryw(g.large),
      g.ratios.read_your_writes,
    ],
  ];
  const inserted = g.inserts.map(
    (i) => `${i.documents.toLocaleString('en-US')} in ${num(i.seconds, 1)} s (${num(i.per_s, 0)}/s)`,
  );
  return [
    `**Read model at size** (${small} vs ${large} ticket documents in one space of ${g.where}; collection ${g.small.collection_documents.toLocaleString('en-US')} / ${g.large.collection_documents.toLocaleString('en-US')} documents; built with \`ticketWriteFor\`, bulk-inserted: ${inserted.join(', then ')}; latencies ms p50 / p99)`,
    '',
    `| read | at ${small} | at ${large} | ratio (p50) |`,
    '|---|---|---|---|',
    ...rows.map(([name, a, b, ratio]) => `| ${name} | ${a} | ${b} | ${num(ratio, 2, 'x')} |`),
    '',
  ];
}
