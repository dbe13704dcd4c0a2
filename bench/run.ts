/**
 * `npm run bench [-- --quick] [-- --fresh] [-- --phases=http,kafka,growth,baseline,rebuild] [-- --out=<dir>]`
 *
 * Measures the running system (bench/README.md): end-to-end command throughput and latency through the
 * gateway and straight through Kafka, CPU per command of every process, the read model's reads at a small
 * and a large size, the raw baseline of the same work with bare drivers, a read-model rebuild, memory per
 * service, and where one command's time goes. Writes `<out>/<date>.<mode>.json` and `.md` (default out:
 * bench/results) and prints the markdown table. The phases live in bench/phases/, the result types in
 * bench/lib/types.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { Pool } from 'pg';
import { loadConfig } from '@tickets/config';
import { PROJECTION_CHECKPOINTS_COLLECTION, TICKETS_COLLECTION } from '@tickets/read-models';
import { mongoUriFor, newTag } from './lib/baseline';
import { projectionLag } from './lib/breakdown';
import { createTopics, deleteTopics, prefixedTopics } from './lib/fresh';
import { machineInfo } from './lib/machine';
import { FULL, QUICK, type Mode } from './lib/modes';
import { pidListeningOn, withChildren, type ProcessGroup } from './lib/procs';
import { ReadModelWatcher } from './lib/readmodel-watch';
import { renderMarkdown } from './lib/report';
import { allHealthy, endpoints, ensureServices, stopServices, url, type Endpoints } from './lib/services';
import { round } from './lib/stats';
import { evaluateTargets } from './lib/targets';
import { captureTemplates, type Templates } from './lib/templates';
import { LOAD_GENERATOR, PHASES, type BenchResult, type Phase } from './lib/types';
import { defineSpace, Mix, tokenFor, uniqueSpace, ACTOR } from './lib/workload';
import { runBaseline } from './phases/baseline';
import type { BenchContext } from './phases/context';
import { runEndToEnd } from './phases/e2e';
import { runGrowth } from './phases/growth';
import { runRebuild } from './phases/rebuild';
import { summarizeResources } from './phases/resources';

const ROOT = path.resolve(__dirname, '..', '..', '..');

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
        `usage: npm run bench -- [--quick|--full] [--fresh] [--phases=${PHASES.join(',')}] [--out=<dir>]\n`,
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

/**
 * The processes sampled for RSS and CPU: the three services (by the port they listen on), Kafka (its
 * JVM), mongod, PostgreSQL (the postmaster and all its backends, re-listed every 2 s) and the bench itself.
 */
function processGroups(e: Endpoints, ports: { kafka: number; mongo: number; pg: number }): ProcessGroup[] {
  const pidOf = new Map<string, number | null>();
  const resolve = (name: string, port: number) => {
    if (!pidOf.has(name)) pidOf.set(name, pidListeningOn(port));
    const pid = pidOf.get(name);
    return pid ? [pid] : [];
  };
  let pgPids: { at: number; pids: number[] } = { at: 0, pids: [] };
  return [
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
    { name: 'kafka', pids: () => resolve('kafka', ports.kafka) },
    { name: 'mongod', pids: () => resolve('mongod', ports.mongo) },
    {
      name: 'postgresql',
      pids: () => {
        if (Date.now() - pgPids.at > 2000) {
          const main = resolve('postgresql', ports.pg);
          pgPids = { at: Date.now(), pids: main.length ? withChildren(main[0]) : [] };
        }
        return pgPids.pids;
      },
    },
    { name: LOAD_GENERATOR, pids: () => [process.pid] },
  ];
}

/**
 * `--fresh`: the services this run starts get an event store schema, a read-model database and (when the
 * services know KAFKA_TOPIC_PREFIX and the user set none) topics and a consumer group of their own, empty at
 * the start and dropped at the end, so the figures do not depend on what earlier runs left behind.
 * @returns the tag and the topic prefix (null when the services have no prefix)
 */
function freshEnvironment(): { tag: string; topicPrefix: string | null } {
  const tag = newTag();
  const base = loadConfig();
  process.env['POSTGRES_SCHEMA'] = `bench_e2e_${tag}`;
  process.env['MONGODB_URI'] = mongoUriFor(base.MONGODB_URI, `bench_e2e_${tag}`);
  let topicPrefix: string | null = null;
  if ('KAFKA_TOPIC_PREFIX' in base && !(base as { KAFKA_TOPIC_PREFIX?: string }).KAFKA_TOPIC_PREFIX) {
    topicPrefix = `bench-${tag}.`;
    process.env['KAFKA_TOPIC_PREFIX'] = topicPrefix;
    process.env['KAFKA_COMMANDS_GROUP_ID'] = `bench-ticket-service-${tag}`;
  }
  return { tag, topicPrefix };
}

async function main(): Promise<number> {
  const { mode, phases, out, fresh } = parseArgs(process.argv.slice(2));
  const freshEnv = fresh ? freshEnvironment() : null;
  const config = loadConfig();
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
  const ports = {
    kafka: Number(kafkaPortText || 9092),
    mongo: Number(mongoUrl.port || 27017),
    pg: Number(pgUrl.port || 5432),
  };
  const servers = [
    { host: kafkaHost, port: ports.kafka },
    { host: mongoUrl.hostname, port: ports.mongo },
    { host: pgUrl.hostname, port: ports.pg },
  ];
  const needServices = phases.has('http') || phases.has('kafka') || phases.has('growth');
  if (freshEnv && needServices && (await allHealthy(e))) {
    throw new Error(
      '--fresh starts services of its own on a fresh schema and database: stop the running services first (or run without --fresh)',
    );
  }
  if (freshEnv?.topicPrefix && needServices) await createTopics(config.kafkaBrokers, freshEnv.topicPrefix);
  const services = needServices ? await ensureServices(ROOT, e, servers, log) : null;
  if (freshEnv)
    notes.push(
      `--fresh: the services ran on event store schema ${config.POSTGRES_SCHEMA} and read-model database bench_e2e_${freshEnv.tag}` +
        (freshEnv.topicPrefix
          ? `, Kafka topics ${freshEnv.topicPrefix}* and consumer group ${config.KAFKA_COMMANDS_GROUP_ID}`
          : '') +
        ', empty at the start and dropped at the end.',
    );
  const groups = processGroups(e, ports);
  const space = uniqueSpace();
  const mongoConnection = await mongoose.createConnection(config.MONGODB_URI).asPromise();
  const result: BenchResult = {
    schema_version: 2,
    started_at: started.toISOString(),
    finished_at: '',
    duration_s: 0,
    mode: mode.name,
    argv: process.argv.slice(2),
    machine,
    system: {
      services: !needServices ? 'not used' : services ? 'started by the bench' : 'already running',
      fresh: freshEnv !== null,
      endpoints: e,
      space,
      event_store_schema: config.POSTGRES_SCHEMA,
      read_model: {
        database: mongoConnection.db!.databaseName,
        tickets_collection: TICKETS_COLLECTION,
        checkpoint: config.PROJECTION_NAME,
      },
      pids: Object.fromEntries(groups.map((g) => [g.name, g.pids().slice(0, 1)])),
      load_average: { start: round(os.loadavg()[0], 2), end: null },
      projection_backlog: { start: needServices ? await projectionLag(e) : null, end: null },
    },
    params: mode,
    http: null,
    kafka: null,
    cpu_per_command: [],
    growth: null,
    baseline: null,
    rebuild: null,
    readmodel_probe: null,
    resources: {},
    machine_busy_share_at_sustained: null,
    targets: [],
    notes,
    errors,
  };

  // A command's event position, for HTTP answers that carry none: one indexed lookup in the event store.
  const eventStorePool =
    config.EVENT_STORE === 'postgres' || freshEnv
      ? new Pool({ connectionString: config.POSTGRES_URL, max: 2 })
      : null;
  eventStorePool?.on('error', () => undefined);
  // The live read-model generation (`read_model_aliases` names its collections and checkpoint; before
  // that, and for generation 1, the plain `tickets` and PROJECTION_NAME).
  const alias = (await mongoConnection
    .db!.collection('read_model_aliases')
    .findOne({ _id: 'tickets' as never })
    .catch(() => null)) as { collections?: { tickets?: unknown }; checkpoint?: unknown } | null;
  const ticketsCollection =
    typeof alias?.collections?.tickets === 'string' ? alias.collections.tickets : TICKETS_COLLECTION;
  const checkpointName = typeof alias?.checkpoint === 'string' ? alias.checkpoint : config.PROJECTION_NAME;
  result.system.read_model = {
    database: mongoConnection.db!.databaseName,
    tickets_collection: ticketsCollection,
    checkpoint: checkpointName,
  };
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
  // Defining workflows and schemas needs an admin role (config ADMIN_ROLES, default super_admin).
  const adminRoles = (config as { adminRoles?: readonly string[] }).adminRoles ?? ['super_admin'];
  const adminToken = tokenFor('bench_admin', adminRoles.length ? adminRoles : ['super_admin']);
  const ctx: BenchContext = {
    root: ROOT,
    mode,
    phases,
    config,
    topics,
    endpoints: e,
    groups,
    mongo: mongoConnection,
    ticketsCollection,
    eventStorePool,
    watcher,
    space,
    mix: new Mix('b'),
    gatewayUrl: url(e, e.gateway, ''),
    token: tokenFor(ACTOR.shortname, ACTOR.roles),
    sampleResults: new Map(),
    result,
    notes,
    errors,
    log,
  };

  let exitCode = 0;
  try {
    if (needServices) {
      log(`space ${space}: defining the workflow and the payload schema`);
      await defineSpace(ctx.gatewayUrl, space, adminToken);
    }
    // ---- 1. end to end, and 4. its resources ----------------------------------------------------------
    await runEndToEnd(ctx);
    if (needServices) result.system.projection_backlog.end = await projectionLag(e);
    summarizeResources(ctx);

    // ---- the events the growth, the baseline and the rebuild copy --------------------------------------
    let templates: Templates | null = null;
    if (phases.has('growth') || phases.has('baseline') || phases.has('rebuild')) {
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
          'Growth/baseline/rebuild events are synthetic (no events of this run could be read back from the event store).',
        );
    }
    // ---- the read model at size, 2. raw baseline, 3. rebuild ---------------------------------------------
    if (phases.has('growth') && templates) await runGrowth(ctx, templates);
    if (phases.has('baseline') && templates) await runBaseline(ctx, templates);
    if (phases.has('rebuild') && templates) await runRebuild(ctx, templates);
  } catch (error) {
    errors.push({ phase: 'set-up', message: (error as Error).stack ?? String(error) });
    log(`failed: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    await stopServices(services);
    if (freshEnv?.topicPrefix)
      await deleteTopics(config.kafkaBrokers, freshEnv.topicPrefix, [config.KAFKA_COMMANDS_GROUP_ID]);
    if (freshEnv) {
      await mongoConnection.db?.dropDatabase().catch(() => undefined);
      await eventStorePool
        ?.query(`DROP SCHEMA IF EXISTS "${config.POSTGRES_SCHEMA}" CASCADE`)
        .catch(() => undefined);
    }
    await mongoConnection.close().catch(() => undefined);
    await eventStorePool?.end().catch(() => undefined);
  }

  finishNotes(result, services !== null);
  result.targets = evaluateTargets(result);
  result.finished_at = new Date().toISOString();
  result.duration_s = round((Date.now() - started.getTime()) / 1000, 1);
  writeResults(result, out);
  return errors.length > 0 && exitCode === 0 ? 2 : exitCode;
}

/** The closing notes: who started the services, where the tickets stayed, backlog and load at the start. */
function finishNotes(result: BenchResult, startedServices: boolean): void {
  const { notes, system, machine } = result;
  if (startedServices)
    notes.push(
      'The services were not running; the bench started them (dist/tools/start.js) and stopped them afterwards.',
    );
  notes.push(
    system.fresh
      ? `The end-to-end tickets went to space ${system.space} of the fresh schema and database (dropped); the scratch schemas, databases and topics of the baseline and rebuild are dropped too.`
      : `The end-to-end tickets stay under space ${system.space} of the live event store and read model; the growth documents and the scratch schemas, databases and topics of the baseline and rebuild are removed.`,
  );
  system.load_average.end = round(os.loadavg()[0], 2);
  if ((system.projection_backlog.start ?? 0) > 0) {
    notes.push(
      `The live projection was ${system.projection_backlog.start} events behind when the run started (projection_lag_events, which the service caps at 1000; ` +
        `${system.projection_backlog.end ?? '?'} after the end-to-end runs): read-model latencies include working off earlier work's backlog.`,
    );
  }
  if (system.load_average.start > machine.nproc * 0.5) {
    notes.push(
      `The machine was already busy when the run started (1-min load average ${system.load_average.start} on ${machine.nproc} CPUs): other work competed with the figures.`,
    );
  }
}

/** `<out>/<date>.<mode>.json` and `.md`, `<out>/latest.<mode>.md`; prints the markdown. */
function writeResults(result: BenchResult, out: string): void {
  mkdirSync(out, { recursive: true });
  const stamp = result.started_at
    .replace(/:/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/(\d{2})(\d{2})\d{2}Z$/, '$1$2Z');
  const base = path.join(out, `${stamp}.${result.mode}`);
  const markdown = renderMarkdown(result);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(path.join(out, `latest.${result.mode}.md`), markdown);
  log(`wrote ${path.relative(ROOT, base)}.json and .md (${result.duration_s} s)`);
  process.stdout.write(`\n${markdown}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`fatal: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
