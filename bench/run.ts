/**
 * `npm run bench [-- --quick] [-- --phases=http,kafka,baseline,rebuild] [-- --out=<dir>]`
 *
 * Measures the running system (bench/README.md): end-to-end command throughput and latency through the
 * gateway and straight through Kafka, the raw baseline of the same work with bare drivers, a read-model
 * rebuild, resources per service, and where one command's time goes. Writes `<out>/<date>.<mode>.json` and
 * `.md` (default out: bench/results) and prints the markdown table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { loadConfig } from '@tickets/config';
import { Pool } from 'pg';
import { PROJECTION_CHECKPOINTS_COLLECTION, TICKETS_COLLECTION } from '@tickets/read-models';
import { RawBaseline, mongoUriFor, newTag, type ComponentRun } from './lib/baseline';
import { createTopics, deleteTopics, prefixedTopics } from './lib/fresh';
import { breakdown, projectionLag, snapshot, type Breakdown, type MetricsSnapshot } from './lib/breakdown';
import { httpClosedLoop, httpFixedRate, type HttpTarget } from './lib/http-load';
import { KafkaCommandClient, kafkaClosedLoop, kafkaFixedRate, type KafkaTarget } from './lib/kafka-load';
import { machineInfo, type MachineInfo } from './lib/machine';
import { FULL, QUICK, type Mode } from './lib/modes';
import {
  pidListeningOn,
  ResourceSampler,
  withChildren,
  type GroupUsage,
  type ProcessGroup,
} from './lib/procs';
import { ReadModelWatcher } from './lib/readmodel-watch';
import type { RunResult } from './lib/recorder';
import { Rebuild, type BulkRun, type ReplayRun, type SeedResult } from './lib/rebuild';
import { renderMarkdown } from './lib/report';
import { allHealthy, endpoints, ensureServices, stopServices, url, type Endpoints } from './lib/services';
import { now, ratio, round, sleep, spread, summarize, type LatencySummary, type Spread } from './lib/stats';
import { evaluateTargets, type TargetResult } from './lib/targets';
import { captureTemplates, type Templates } from './lib/templates';
import { defineSpace, Mix, ticketDocId, tokenFor, uniqueSpace, ACTOR } from './lib/workload';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PHASES = ['http', 'kafka', 'baseline', 'rebuild'] as const;
type Phase = (typeof PHASES)[number];

export interface LevelSummary {
  readonly commands_per_s: Spread | null;
  readonly error_share: Spread | null;
  readonly result_p50_ms: Spread | null;
  readonly result_p95_ms: Spread | null;
  readonly result_p99_ms: Spread | null;
  readonly readmodel_p50_ms: Spread | null;
  readonly readmodel_p95_ms: Spread | null;
  readonly readmodel_p99_ms: Spread | null;
  readonly readmodel_samples: number;
  readonly readmodel_lower_bounds: number;
  readonly unfinished: number;
  /** The watcher's own point reads on the read model over these runs. */
  readonly readmodel_document_reads: number;
}

export interface Usage {
  readonly groups: Record<string, GroupUsage>;
  readonly machine_busy_share: number | null;
  /** CPU seconds the whole machine was busy (all processes, ours and others'). */
  readonly machine_busy_cpu_s: number | null;
  readonly seconds: number;
  /** Successful commands during the sampled time (CPU per command = cpu_seconds / this). */
  readonly commands: number;
}

export interface LevelResult {
  /** Connections (HTTP) or commands in flight (Kafka); for fixed-rate runs the rate. */
  readonly concurrency?: number;
  readonly rate?: number;
  readonly runs: RunResult[];
  readonly summary: LevelSummary;
  readonly usage: Usage | null;
  readonly breakdown: Breakdown | null;
  readonly drains?: { drained: boolean | null; seconds: number }[];
}

export interface PathResult {
  readonly levels: LevelResult[];
  readonly sustained: { concurrency: number; commands_per_s: Spread; error_share: number | null } | null;
  readonly half_rate: LevelResult | null;
}

export interface BaselineResult {
  readonly commands: number;
  readonly concurrency: Mode['baseline']['concurrency'];
  readonly templates: { source: Templates['source']; count: number; bytes: Templates['bytes'] };
  readonly components: Record<
    'kafka' | 'pg_adapter' | 'pg_raw' | 'mongo',
    {
      runs: ComponentRun[];
      per_s: Spread | null;
      latency_p50_ms: Spread | null;
      latency_p99_ms: Spread | null;
    }
  >;
  readonly combined: { runs: ComponentRun[]; per_s: Spread | null };
  /** Pipeline sustained commands/s (HTTP and Kafka) / combined ceiling. */
  readonly ratio_http: number | null;
  readonly ratio_kafka: number | null;
  readonly adapter_vs_raw_pg: number | null;
}

export interface RebuildResult {
  readonly events: number;
  readonly seed: SeedResult;
  readonly replay: {
    runs: ReplayRun[];
    events_per_s: Spread | null;
    events_per_s_last_quarter: Spread | null;
  };
  readonly bulk: { runs: BulkRun[]; events_equivalent_per_s: Spread | null };
  readonly ratio: number | null;
}

export interface BenchResult {
  readonly schema_version: 1;
  readonly started_at: string;
  finished_at: string;
  duration_s: number;
  readonly mode: Mode['name'];
  readonly argv: string[];
  readonly machine: MachineInfo;
  readonly system: {
    services: 'already running' | 'started by the bench' | 'not used';
    /** `--fresh`: own event store schema and read-model database (else the live ones). */
    fresh: boolean;
    endpoints: Endpoints;
    space: string;
    event_store_schema: string;
    read_model: { tickets_collection: string; checkpoint: string };
    pids: Record<string, number[]>;
    /** 1-minute load average at the start and the end (other work on the machine shows here). */
    load_average: { start: number; end: number | null };
    /** Events the live projection had not applied yet when the run started / ended (projection_lag_events, capped by the service). */
    projection_backlog: { start: number | null; end: number | null };
  };
  readonly params: Mode;
  http: PathResult | null;
  kafka: PathResult | null;
  baseline: BaselineResult | null;
  rebuild: RebuildResult | null;
  /** Point reads by `_id` on the live `tickets` collection after the end-to-end runs (FerretDB cost at its size). */
  readmodel_probe: { collection_documents: number; point_read_ms: LatencySummary | null } | null;
  resources: Record<
    string,
    {
      peak_rss_mb: number | null;
      cpu_s_at_sustained: number | null;
      cpu_ms_per_command: number | null;
      source: string;
    }
  >;
  machine_busy_share_at_sustained: number | null;
  targets: TargetResult[];
  readonly notes: string[];
  readonly errors: { phase: string; message: string }[];
}

function parseArgs(argv: string[]): { mode: Mode; phases: Set<Phase>; out: string; fresh: boolean } {
  let mode = FULL;
  let fresh = false;
  let phases = new Set<Phase>(PHASES);
  let out = path.join(ROOT, 'bench', 'results');
  for (const arg of argv) {
    if (arg === '--quick') mode = QUICK;
    else if (arg === '--full') mode = FULL;
    else if (arg === '--fresh') fresh = true;
    else if (arg.startsWith('--phases=')) {
      const wanted = arg.slice('--phases='.length).split(',').filter(Boolean);
      const unknown = wanted.filter((p) => !(PHASES as readonly string[]).includes(p));
      if (unknown.length)
        throw new Error(`unknown phase(s) ${unknown.join(', ')}; known: ${PHASES.join(', ')}`);
      phases = new Set(wanted as Phase[]);
    } else if (arg.startsWith('--out=')) out = path.resolve(arg.slice('--out='.length));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick|--full] [--fresh] [--phases=http,kafka,baseline,rebuild] [--out=<dir>]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return { mode, phases, out, fresh };
}

const t0 = Date.now();
function log(message: string): void {
  process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}\n`);
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

async function main(): Promise<number> {
  const { mode, phases, out, fresh } = parseArgs(process.argv.slice(2));
  // --fresh: the services this run starts get an event store schema and a read-model database of their own
  // (empty at the start, dropped at the end), so the figures do not depend on what earlier runs left behind.
  const freshTag = fresh ? newTag() : null;
  // Topics of its own too, when the services know KAFKA_TOPIC_PREFIX (and the user set none).
  let freshTopicPrefix: string | null = null;
  if (freshTag) {
    const base = loadConfig();
    process.env['POSTGRES_SCHEMA'] = `bench_e2e_${freshTag}`;
    process.env['MONGODB_URI'] = mongoUriFor(base.MONGODB_URI, `bench_e2e_${freshTag}`);
    if ('KAFKA_TOPIC_PREFIX' in base && !(base as { KAFKA_TOPIC_PREFIX?: string }).KAFKA_TOPIC_PREFIX) {
      freshTopicPrefix = `bench-${freshTag}.`;
      process.env['KAFKA_TOPIC_PREFIX'] = freshTopicPrefix;
      process.env['KAFKA_COMMANDS_GROUP_ID'] = `bench-ticket-service-${freshTag}`;
    }
  }
  const config = loadConfig();
  /** The deployment's topic names (config KAFKA_TOPIC_PREFIX, if the services have it, + the contract's names). */
  const topics = prefixedTopics((config as { KAFKA_TOPIC_PREFIX?: string }).KAFKA_TOPIC_PREFIX ?? '');
  const e = endpoints();
  const started = new Date();
  const notes: string[] = [];
  const errors: { phase: string; message: string }[] = [];
  log(`mode ${mode.name}, phases ${[...phases].join(', ')}`);

  const machine = machineInfo(ROOT);
  if (machine.git_dirty_files)
    notes.push(
      `The working tree had ${machine.git_dirty_files} changed file(s) outside bench/ when this ran (figures are for that code).`,
    );
  const mongoUrl = new URL(config.MONGODB_URI);
  const pgUrl = new URL(config.POSTGRES_URL);
  const [kafkaHost, kafkaPortText] = (config.kafkaBrokers[0] ?? '127.0.0.1:9092').split(':');
  const mongoPort = Number(mongoUrl.port || 27017);
  const pgPort = Number(pgUrl.port || 5432);
  const kafkaPort = Number(kafkaPortText || 9092);
  const servers = [
    { host: kafkaHost, port: kafkaPort },
    { host: mongoUrl.hostname, port: mongoPort },
    { host: pgUrl.hostname, port: pgPort },
  ];
  const needServices = phases.has('http') || phases.has('kafka');
  if (freshTag && needServices && (await allHealthy(e))) {
    throw new Error(
      '--fresh starts services of its own on a fresh schema and database: stop the running services first (or run without --fresh)',
    );
  }
  if (freshTopicPrefix && needServices) await createTopics(config.kafkaBrokers, freshTopicPrefix);
  const services = needServices ? await ensureServices(ROOT, e, servers, log) : null;
  if (freshTag)
    notes.push(
      `--fresh: the services ran on event store schema ${config.POSTGRES_SCHEMA} and read-model database bench_e2e_${freshTag}` +
        (freshTopicPrefix
          ? `, Kafka topics ${freshTopicPrefix}* and consumer group ${config.KAFKA_COMMANDS_GROUP_ID}`
          : '') +
        ', empty at the start and dropped at the end.',
    );
  let exitCode = 0;
  const pidOf = new Map<string, number | null>();
  const resolve = (name: string, port: number) => {
    if (!pidOf.has(name)) pidOf.set(name, pidListeningOn(port));
    const pid = pidOf.get(name);
    return pid ? [pid] : [];
  };
  let pgPids: { at: number; pids: number[] } = { at: 0, pids: [] };
  const groups: ProcessGroup[] = [
    { name: 'gateway', pids: () => resolve('gateway', e.gateway), metricsUrl: url(e, e.gateway, '/metrics') },
    {
      name: 'ticket-service',
      pids: () => resolve('ticket-service', e.ticketService),
      metricsUrl: url(e, e.ticketService, '/metrics'),
    },
    {
      name: 'projection-service',
      pids: () => resolve('projection-service', e.projectionService),
      metricsUrl: url(e, e.projectionService, '/metrics'),
    },
    { name: 'kafka', pids: () => resolve('kafka', kafkaPort) },
    { name: 'ferretdb', pids: () => resolve('ferretdb', mongoPort) },
    {
      name: 'postgresql',
      pids: () => {
        if (Date.now() - pgPids.at > 2000) {
          const main = resolve('postgresql', pgPort);
          pgPids = { at: Date.now(), pids: main.length ? withChildren(main[0]) : [] };
        }
        return pgPids.pids;
      },
    },
    { name: 'bench (load generator)', pids: () => [process.pid] },
  ];

  const space = uniqueSpace();
  const result: BenchResult = {
    schema_version: 1,
    started_at: started.toISOString(),
    finished_at: '',
    duration_s: 0,
    mode: mode.name,
    argv: process.argv.slice(2),
    machine,
    system: {
      services: !needServices ? 'not used' : services ? 'started by the bench' : 'already running',
      fresh: freshTag !== null,
      endpoints: e,
      space,
      event_store_schema: config.POSTGRES_SCHEMA,
      read_model: { tickets_collection: TICKETS_COLLECTION, checkpoint: config.PROJECTION_NAME },
      pids: Object.fromEntries(groups.map((g) => [g.name, g.pids().slice(0, 1)])),
      load_average: { start: round(os.loadavg()[0], 2), end: null },
      projection_backlog: { start: needServices ? await projectionLag(e) : null, end: null },
    },
    params: mode,
    http: null,
    kafka: null,
    baseline: null,
    rebuild: null,
    readmodel_probe: null,
    resources: {},
    machine_busy_share_at_sustained: null,
    targets: [],
    notes,
    errors,
  };

  const mongoConnection = await mongoose.createConnection(config.MONGODB_URI).asPromise();
  // A command's event position, for HTTP answers that carry none: one indexed lookup in the event store.
  const eventStorePool =
    config.EVENT_STORE === 'postgres' || freshTag
      ? new Pool({ connectionString: config.POSTGRES_URL, max: 2 })
      : null;
  eventStorePool?.on('error', () => undefined);
  // The live read-model generation (HEAD: `read_model_aliases` names its collections and checkpoint; before
  // that, and for generation 1, the plain `tickets` and PROJECTION_NAME).
  const alias = (await mongoConnection
    .db!.collection('read_model_aliases')
    .findOne({ _id: 'tickets' as never })
    .catch(() => null)) as { collections?: { tickets?: unknown }; checkpoint?: unknown } | null;
  const ticketsCollection =
    typeof alias?.collections?.tickets === 'string' ? alias.collections.tickets : TICKETS_COLLECTION;
  const checkpointName = typeof alias?.checkpoint === 'string' ? alias.checkpoint : config.PROJECTION_NAME;
  result.system.read_model = { tickets_collection: ticketsCollection, checkpoint: checkpointName };
  const watcher = new ReadModelWatcher(
    {
      tickets: mongoConnection.db!.collection(ticketsCollection),
      checkpoints: {
        collection: mongoConnection.db!.collection(PROJECTION_CHECKPOINTS_COLLECTION),
        name: checkpointName,
      },
      positionOf: eventStorePool
        ? async (docId, revision) => {
            const { rows } = await eventStorePool.query<{ position: string }>(
              `SELECT position FROM "${config.POSTGRES_SCHEMA}".events WHERE stream_id = $1 AND revision = $2`,
              [`ticket-${docId}`, revision],
            );
            return rows[0] ? Number(rows[0].position) : null;
          }
        : undefined,
    },
    mode.watch,
  );
  const gatewayUrl = url(e, e.gateway, '');
  const token = tokenFor(ACTOR.shortname, ACTOR.roles);
  // Defining workflows and schemas needs an admin role (config ADMIN_ROLES, default super_admin).
  const adminRoles = (config as { adminRoles?: readonly string[] }).adminRoles ?? ['super_admin'];
  const adminToken = tokenFor('bench_admin', adminRoles.length ? adminRoles : ['super_admin']);
  const mix = new Mix('b');
  let kafkaClient: KafkaCommandClient | null = null;
  const sampleResults = new Map<string, string>();

  const drain = async (capS: number): Promise<{ drained: boolean | null; seconds: number }> => {
    const start = now();
    for (;;) {
      const lag = await projectionLag(e);
      if (lag === null) {
        await sleep(1000);
        return { drained: null, seconds: round((now() - start) / 1000) };
      }
      if (lag === 0) return { drained: true, seconds: round((now() - start) / 1000) };
      if (now() - start > capS * 1000) return { drained: false, seconds: round((now() - start) / 1000) };
      await sleep(250);
    }
  };

  /** Runs `repeats` runs at one level, sampling resources and scraping /metrics around each run. */
  const level = async (
    label: string,
    run: () => Promise<RunResult>,
    viaHttp: boolean,
    options: { drainBetween?: number } = {},
  ): Promise<Omit<LevelResult, 'concurrency' | 'rate'>> => {
    const runs: RunResult[] = [];
    const drains: { drained: boolean | null; seconds: number }[] = [];
    const perRun: { before: MetricsSnapshot; after: MetricsSnapshot; seconds: number }[] = [];
    const cpu: Record<string, number> = {};
    const peak: Record<string, number> = {};
    const source: Record<string, GroupUsage['source']> = {};
    let busyWeighted = 0;
    let busySeconds = 0;
    let busyCpu: number | null = null;
    let measuredSeconds = 0;
    let commands = 0;
    for (let r = 0; r < mode.repeats; r++) {
      if (options.drainBetween !== undefined && r > 0) drains.push(await drain(options.drainBetween));
      const before = await snapshot(e);
      const sampler = new ResourceSampler(groups);
      await sampler.start();
      const startedAt = now();
      const res = await run();
      const seconds = (now() - startedAt) / 1000;
      const usage = await sampler.stop();
      perRun.push({ before, after: await snapshot(e), seconds });
      measuredSeconds += seconds;
      commands += res.commands_ok_total;
      for (const [name, g] of Object.entries(usage.groups)) {
        if (g.cpu_seconds !== null) cpu[name] = (cpu[name] ?? 0) + g.cpu_seconds;
        if (g.peak_rss_mb !== null) peak[name] = Math.max(peak[name] ?? 0, g.peak_rss_mb);
        source[name] = g.source;
      }
      if (usage.machine_busy_share !== null) {
        busyWeighted += usage.machine_busy_share * usage.seconds;
        busySeconds += usage.seconds;
      }
      if (usage.machine_busy_cpu_s !== null) busyCpu = (busyCpu ?? 0) + usage.machine_busy_cpu_s;
      runs.push(res);
      log(
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
      commands,
    };
    return {
      runs,
      summary: summarizeRuns(runs),
      usage,
      breakdown: breakdownOverRuns(perRun, runs, viaHttp),
      ...(drains.length ? { drains } : {}),
    };
  };

  const pickSustained = (levels: LevelResult[]): PathResult['sustained'] => {
    const ok = levels.filter((l) => (l.summary.error_share?.median ?? 1) < 0.01 && l.summary.commands_per_s);
    const pool = ok.length ? ok : levels.filter((l) => l.summary.commands_per_s);
    if (!ok.length && pool.length)
      notes.push('No level ran with under 1% errors; the sustained rate is the best level regardless.');
    const best = pool.sort((a, b) => b.summary.commands_per_s!.median - a.summary.commands_per_s!.median)[0];
    return best
      ? {
          concurrency: best.concurrency!,
          commands_per_s: best.summary.commands_per_s!,
          error_share: best.summary.error_share?.median ?? null,
        }
      : null;
  };

  try {
    if (phases.has('http') || phases.has('kafka')) {
      log(`space ${space}: defining the workflow and the payload schema`);
      await defineSpace(gatewayUrl, space, adminToken);
    }
    // The results consumer takes seconds to join its group: start it now, use it after the HTTP phase.
    let kafkaReady: Promise<void> | null = null;
    if (phases.has('kafka')) {
      kafkaClient = new KafkaCommandClient(config.kafkaBrokers, topics);
      kafkaReady = kafkaClient.start();
      kafkaReady.catch(() => undefined);
    }

    // ---- 1a. through the gateway (HTTP) -------------------------------------------------------------
    if (phases.has('http')) {
      try {
        const target: HttpTarget = { host: e.host, port: e.gateway, token, space, mix, watcher };
        log('warm-up: 2 s through the gateway (not recorded)');
        await httpClosedLoop({ ...target, watcher: null }, 8, 2, 0, 2);
        const levels: LevelResult[] = [];
        for (const connections of mode.http_levels) {
          const lv = await level(
            `HTTP c=${connections}`,
            () =>
              httpClosedLoop(
                target,
                connections,
                mode.duration_s,
                mode.warmup_s,
                mode.tail_cap_s,
                mode.watch.sweepGraceMs,
              ),
            true,
          );
          levels.push({ concurrency: connections, ...lv });
        }
        const sustained = pickSustained(levels);
        let half: LevelResult | null = null;
        if (sustained) {
          const rate = Math.max(1, sustained.commands_per_s.median / 2);
          log(
            `HTTP sustained ${sustained.commands_per_s.median} commands/s at c=${sustained.concurrency}; fixed rate ${rate.toFixed(1)}/s (half), read model drained first (cap ${mode.drain_cap_s} s)`,
          );
          const first = await drain(mode.drain_cap_s);
          const lv = await level(
            `HTTP @${rate.toFixed(0)}/s`,
            () => httpFixedRate(target, rate, mode.fixed_duration_s, mode.warmup_s, mode.watch.fixedGraceMs),
            true,
            {
              drainBetween: mode.drain_between_cap_s,
            },
          );
          half = { rate: round(rate, 1), ...lv, drains: [first, ...(lv.drains ?? [])] };
        }
        result.http = { levels, sustained, half_rate: half };
      } catch (error) {
        errors.push({ phase: 'http', message: (error as Error).stack ?? String(error) });
        log(`HTTP phase failed: ${(error as Error).message}`);
      }
    }

    // ---- 1b. straight to Kafka ----------------------------------------------------------------------
    if (phases.has('kafka')) {
      try {
        log('Kafka: waiting for the results consumer');
        await kafkaReady;
        const target: KafkaTarget = { client: kafkaClient!, space, mix, watcher };
        const levels: LevelResult[] = [];
        for (const concurrency of mode.kafka_levels) {
          const lv = await level(
            `Kafka w=${concurrency}`,
            () =>
              kafkaClosedLoop(
                target,
                concurrency,
                mode.duration_s,
                mode.warmup_s,
                mode.tail_cap_s,
                mode.watch.sweepGraceMs,
              ),
            false,
          );
          levels.push({ concurrency, ...lv });
        }
        const sustained = pickSustained(levels);
        let half: LevelResult | null = null;
        if (sustained && mode.kafka_half_rate) {
          const rate = Math.max(1, sustained.commands_per_s.median / 2);
          log(
            `Kafka sustained ${sustained.commands_per_s.median} commands/s at w=${sustained.concurrency}; fixed rate ${rate.toFixed(1)}/s`,
          );
          const first = await drain(mode.drain_cap_s);
          const lv = await level(
            `Kafka @${rate.toFixed(0)}/s`,
            () => kafkaFixedRate(target, rate, mode.fixed_duration_s, mode.warmup_s, mode.watch.fixedGraceMs),
            false,
            {
              drainBetween: mode.drain_between_cap_s,
            },
          );
          half = { rate: round(rate, 1), ...lv, drains: [first, ...(lv.drains ?? [])] };
        }
        result.kafka = { levels, sustained, half_rate: half };
        for (const [k, v] of kafkaClient!.sampleResults) sampleResults.set(k, v);
      } catch (error) {
        errors.push({ phase: 'kafka', message: (error as Error).stack ?? String(error) });
        log(`Kafka phase failed: ${(error as Error).message}`);
      } finally {
        await kafkaClient?.stop();
      }
    }

    // ---- what one point read costs on the services' tickets collection at its size -----------------------------
    if ((phases.has('http') || phases.has('kafka')) && mix.issued() > 0) {
      try {
        const tickets = mongoConnection.db!.collection(ticketsCollection);
        const documents = await tickets.estimatedDocumentCount();
        const reads: number[] = [];
        for (let k = 0; k < 30; k++) {
          const id = ticketDocId(space, mix.shortnameOf(Math.floor(Math.random() * mix.issued())));
          const t = now();
          await tickets.findOne({ _id: id as never }, { projection: { revision: 1 } });
          reads.push(now() - t);
        }
        result.readmodel_probe = { collection_documents: documents, point_read_ms: summarize(reads) };
        log(
          `services' read model: ${documents} ticket documents; point read by _id p50 ${result.readmodel_probe.point_read_ms?.p50} ms`,
        );
      } catch (error) {
        errors.push({ phase: 'read-model probe', message: (error as Error).message });
      }
    }

    if (needServices) result.system.projection_backlog.end = await projectionLag(e);

    // ---- resources ----------------------------------------------------------------------------------
    // Resources are reported at the HTTP sustained level (Kafka's when only that path ran).
    const sustainedLevel =
      result.http?.levels.find((l) => l.concurrency === result.http?.sustained?.concurrency) ??
      result.kafka?.levels.find((l) => l.concurrency === result.kafka?.sustained?.concurrency) ??
      null;
    const allLevels = [
      ...(result.http?.levels ?? []),
      ...(result.http?.half_rate ? [result.http.half_rate] : []),
      ...(result.kafka?.levels ?? []),
      ...(result.kafka?.half_rate ? [result.kafka.half_rate] : []),
    ];
    for (const g of groups) {
      const peaks = allLevels
        .map((l) => l.usage?.groups[g.name]?.peak_rss_mb)
        .filter((v): v is number => typeof v === 'number');
      const atSustained = sustainedLevel?.usage?.groups[g.name];
      const commands = sustainedLevel?.usage?.commands ?? 0;
      result.resources[g.name] = {
        peak_rss_mb: peaks.length ? Math.max(...peaks) : null,
        cpu_s_at_sustained: atSustained?.cpu_seconds ?? null,
        cpu_ms_per_command:
          atSustained?.cpu_seconds != null && commands > 0
            ? round((atSustained.cpu_seconds * 1000) / commands, 2)
            : null,
        source: atSustained?.source ?? 'none',
      };
    }
    result.machine_busy_share_at_sustained = sustainedLevel?.usage?.machine_busy_share ?? null;
    const u = sustainedLevel?.usage;
    if (u?.machine_busy_cpu_s != null) {
      const ours = Object.values(u.groups).reduce((s, g) => s + (g.cpu_seconds ?? 0), 0);
      result.resources['everything else on the machine'] = {
        peak_rss_mb: null,
        cpu_s_at_sustained: round(Math.max(0, u.machine_busy_cpu_s - ours), 2),
        cpu_ms_per_command:
          u.commands > 0 ? round((Math.max(0, u.machine_busy_cpu_s - ours) * 1000) / u.commands, 2) : null,
        source: 'proc-stat',
      };
      if (u.machine_busy_cpu_s > 0 && ours / u.machine_busy_cpu_s < 0.8) {
        notes.push(
          `At the sustained level the system under test and the bench used ${round(ours, 1)} of the ${round(u.machine_busy_cpu_s, 1)} CPU seconds the machine spent: other processes took the rest.`,
        );
      }
    }

    // ---- 2. raw baseline ----------------------------------------------------------------------------
    let templates: Templates | null = null;
    if (phases.has('baseline') || phases.has('rebuild')) {
      templates = await captureTemplates(
        config.POSTGRES_URL,
        config.POSTGRES_SCHEMA,
        phases.has('http') || phases.has('kafka') ? space : null,
      );
      log(
        `event templates: ${templates.templates.length} ${templates.source} (TicketCreated ~${templates.bytes.created} B, TicketProgressed ~${templates.bytes.progressed} B)`,
      );
      if (templates.source === 'synthetic')
        notes.push(
          'Baseline/rebuild events are synthetic (no events of this run could be read back from the event store).',
        );
    }
    if (phases.has('baseline') && templates) {
      const sustainedRuns = sustainedLevel?.runs ?? [];
      // "The same number of messages": one measured pipeline run's worth at its sustained level (at least 500).
      const commands = Math.max(
        500,
        Math.round(spread(sustainedRuns.map((r) => r.commands_ok))?.median ?? 1000),
      );
      const tag = newTag();
      const baseline = new RawBaseline({
        brokers: config.kafkaBrokers,
        pgUrl: config.POSTGRES_URL,
        mongoUri: config.MONGODB_URI,
        tag,
        templates,
        sampleResults,
        concurrency: mode.baseline.concurrency,
      });
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
      } catch (error) {
        errors.push({ phase: 'baseline', message: (error as Error).stack ?? String(error) });
        log(`baseline failed: ${(error as Error).message}`);
      } finally {
        await baseline.teardown();
      }
    }

    // ---- 3. rebuild ---------------------------------------------------------------------------------
    if (phases.has('rebuild') && templates) {
      const tag = newTag();
      const rebuild = new Rebuild({
        pgUrl: config.POSTGRES_URL,
        mongoUri: config.MONGODB_URI,
        tag,
        templates,
        events: mode.rebuild.events,
      });
      try {
        log(`rebuild: seeding ${mode.rebuild.events} events into schema ${rebuild.schema}`);
        const seed = await rebuild.seed(120_000);
        log(`rebuild: seeded ${seed.events} events in ${seed.seconds} s (${seed.per_s}/s, ${seed.method})`);
        const replays: ReplayRun[] = [];
        const bulks: BulkRun[] = [];
        for (let r = 0; r < mode.rebuild.repeats; r++) {
          replays.push(await rebuild.replay(seed.events, mode.rebuild.replay_cap_s * 1000));
          log(
            `rebuild replay ${r + 1}/${mode.rebuild.repeats}: ${replays[r].events} events, ${replays[r].events_per_s} events/s (last quarter ${replays[r].events_per_s_last_quarter ?? '-'})${replays[r].capped ? ' [time-capped]' : ''}`,
          );
          bulks.push(await rebuild.bulk(seed.events, mode.rebuild.bulk_cap_s * 1000));
          log(
            `rebuild bulk ${r + 1}/${mode.rebuild.repeats}: ${bulks[r].documents} documents, ${bulks[r].events_equivalent_per_s} events-equivalent/s${bulks[r].capped ? ' [time-capped]' : ''}`,
          );
        }
        const replayRate = spread(replays.map((x) => x.events_per_s));
        const bulkRate = spread(bulks.map((x) => x.events_equivalent_per_s));
        result.rebuild = {
          events: seed.events,
          seed,
          replay: {
            runs: replays,
            events_per_s: replayRate,
            events_per_s_last_quarter: spread(replays.map((x) => x.events_per_s_last_quarter)),
          },
          bulk: { runs: bulks, events_equivalent_per_s: bulkRate },
          ratio: ratio(replayRate?.median, bulkRate?.median),
        };
        if (replays.some((x) => x.capped)) {
          notes.push(
            `Rebuild replays were time-capped at ${mode.rebuild.replay_cap_s} s: events/s is over the events replayed in that time (the first part of the ${seed.events}); ` +
              `the whole replay would take ~${spread(replays.map((x) => x.projected_total_s))?.median} s at that rate.`,
          );
        }
        if (bulks.some((x) => x.capped))
          notes.push(
            `Bulk inserts were time-capped at ${mode.rebuild.bulk_cap_s} s; their rate is over the documents inserted.`,
          );
      } catch (error) {
        errors.push({ phase: 'rebuild', message: (error as Error).stack ?? String(error) });
        log(`rebuild failed: ${(error as Error).message}`);
      } finally {
        await rebuild.teardown();
      }
    }
  } catch (error) {
    errors.push({ phase: 'set-up', message: (error as Error).stack ?? String(error) });
    log(`failed: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    await stopServices(services);
    if (freshTopicPrefix)
      await deleteTopics(config.kafkaBrokers, freshTopicPrefix, [config.KAFKA_COMMANDS_GROUP_ID]);
    if (freshTag) {
      await mongoConnection.db?.dropDatabase().catch(() => undefined);
      await eventStorePool
        ?.query(`DROP SCHEMA IF EXISTS "${config.POSTGRES_SCHEMA}" CASCADE`)
        .catch(() => undefined);
    }
    await mongoConnection.close().catch(() => undefined);
    await eventStorePool?.end().catch(() => undefined);
  }

  if (services)
    notes.push(
      'The services were not running; the bench started them (dist/tools/start.js) and stopped them afterwards.',
    );
  notes.push(
    freshTag
      ? `The end-to-end tickets went to space ${space} of the fresh schema and database (dropped); the scratch schemas, databases and topics of the baseline and rebuild are dropped too.`
      : `The end-to-end tickets stay under space ${space} of the live event store and read model; the scratch schemas, databases and topics of the baseline and rebuild are dropped.`,
  );
  result.system.load_average.end = round(os.loadavg()[0], 2);
  if ((result.system.projection_backlog.start ?? 0) > 0) {
    notes.push(
      `The live projection was ${result.system.projection_backlog.start} events behind when the run started (projection_lag_events, which the service caps at 1000; ` +
        `${result.system.projection_backlog.end ?? '?'} after the end-to-end runs): read-model latencies include working off earlier work's backlog.`,
    );
  }
  if (result.system.load_average.start > machine.nproc * 0.5) {
    notes.push(
      `The machine was already busy when the run started (1-min load average ${result.system.load_average.start} on ${machine.nproc} CPUs): other work competed with the figures.`,
    );
  }
  result.targets = evaluateTargets(result);
  result.finished_at = new Date().toISOString();
  result.duration_s = round((Date.now() - started.getTime()) / 1000, 1);

  mkdirSync(out, { recursive: true });
  const stamp = started
    .toISOString()
    .replace(/:/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/(\d{2})(\d{2})\d{2}Z$/, '$1$2Z');
  const base = path.join(out, `${stamp}.${mode.name}`);
  const markdown = renderMarkdown(result);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(path.join(out, `latest.${mode.name}.md`), markdown);
  log(`wrote ${path.relative(ROOT, base)}.json and .md (${result.duration_s} s)`);
  process.stdout.write(`\n${markdown}\n`);
  return errors.length > 0 && exitCode === 0 ? 2 : exitCode;
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

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`fatal: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
