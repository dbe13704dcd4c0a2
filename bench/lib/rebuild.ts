import mongoose, { type mongo } from 'mongoose';
import { Pool } from 'pg';
import { PostgresEventStore, type NewEvent } from '@tickets/event-store';
import {
  countedFactsOf,
  counterContributions,
  ProjectionRunner,
  ReadModels,
  TicketsReadModel,
  ticketWriteFor,
  type TicketDocument,
} from '@tickets/read-models';
import { mongoUriFor } from './baseline';
import { runPool } from './pool';
import { now, round, sleep } from './stats';
import { asRecorded, streamIdOf, ticketEvents, type Templates } from './templates';

/**
 * The rebuild: `events` ticket events (half TicketCreated, half TicketProgressed, copies of the ones the
 * pipeline recorded) seeded into a scratch PostgreSQL schema of the real adapter, then replayed by the real
 * `ProjectionRunner` with the real read models (`ReadModels`: tickets + counters, workflows) into a fresh
 * MongoDB database, versus inserting the resulting final documents directly (`insertMany`, same indexes).
 * Both are time-capped; a capped run reports the rate it sustained and the time the whole would take at it.
 */
export interface RebuildConfig {
  readonly pgUrl: string;
  readonly mongoUri: string;
  readonly tag: string;
  readonly templates: Templates;
  readonly events: number;
}

export interface SeedResult {
  readonly events: number;
  readonly seconds: number;
  readonly per_s: number;
  readonly method: string;
}

export interface ReplayRun {
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  /** Rate over the last quarter of the run (the read model grows; a slowing rate shows here). */
  readonly events_per_s_last_quarter: number | null;
  readonly capped: boolean;
  /** Time a replay of all seeded events would take at `events_per_s`. */
  readonly projected_total_s: number;
}

export interface BulkRun {
  readonly documents: number;
  /** The events those documents stand for (2 per ticket). */
  readonly events_equivalent: number;
  readonly seconds: number;
  readonly events_equivalent_per_s: number;
  readonly capped: boolean;
  readonly projected_total_s: number;
}

const BLOCK = 500;

export class Rebuild {
  readonly schema: string;
  readonly space: string;
  private readonly tickets: number;
  private pool?: Pool;
  private run = 0;
  private readonly recordedAt = new Date().toISOString();

  constructor(private readonly config: RebuildConfig) {
    this.schema = `bench_rebuild_${config.tag}`;
    this.space = `bench_rebuild_${config.tag}`;
    this.tickets = Math.ceil(config.events / 2);
  }

  private shortname(k: number): string {
    return `t${k.toString(36)}`;
  }

  /**
   * The events of block `b` (tickets b*BLOCK..): the block's creates, then its progresses, with their
   * positions (1-based, gap-free) and revisions.
   */
  private block(b: number): SeededEvent[] {
    const first = b * BLOCK;
    const count = Math.min(BLOCK, this.tickets - first);
    const pairs = Array.from({ length: count }, (_, j) => {
      const k = first + j;
      const t = this.config.templates.templates;
      return {
        stream: streamIdOf(this.space, this.shortname(k)),
        events: ticketEvents(t[k % t.length], this.space, this.shortname(k)),
      };
    });
    const base = 2 * first;
    return [
      ...pairs.map((p, j) => ({ stream: p.stream, revision: 0, position: base + j + 1, event: p.events[0] })),
      ...pairs.map((p, j) => ({
        stream: p.stream,
        revision: 1,
        position: base + count + j + 1,
        event: p.events[1],
      })),
    ];
  }

  private get blocks(): number {
    return Math.ceil(this.tickets / BLOCK);
  }

  /**
   * Seeds the scratch schema. The adapter has no bulk append (only `append(stream, events, expected)`), so
   * the adapter creates its schema (`migrate`) and the events go in as multi-row INSERTs (unnest) into its
   * own `events` table, with gap-free positions and its position counter set; if that table's columns are
   * not the ones expected, it falls back to `append` per ticket (much slower).
   */
  async seed(capMs: number): Promise<SeedResult> {
    this.pool = new Pool({ connectionString: this.config.pgUrl, max: 4 });
    this.pool.on('error', () => undefined);
    const store = new PostgresEventStore({ connectionString: this.config.pgUrl, schema: this.schema });
    await store.migrate();
    const { rows } = await this.pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events'`,
      [this.schema],
    );
    const columns = new Set(rows.map((r) => r.column_name));
    const expected = [
      'position',
      'stream_id',
      'revision',
      'event_id',
      'type',
      'data',
      'metadata',
      'recorded_at',
    ];
    if (expected.every((c) => columns.has(c)) && columns.size === expected.length) {
      const sql = `INSERT INTO "${this.schema}".events (position, stream_id, revision, event_id, type, data, metadata, recorded_at)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])`;
      const result = await runPool(this.blocks, 3, Number.POSITIVE_INFINITY, async (b) => {
        const rowsOfBlock = this.block(b);
        await this.pool!.query(sql, [
          rowsOfBlock.map((r) => r.position),
          rowsOfBlock.map((r) => r.stream),
          rowsOfBlock.map((r) => r.revision),
          rowsOfBlock.map((r) => r.event.id),
          rowsOfBlock.map((r) => r.event.type),
          rowsOfBlock.map((r) => JSON.stringify(r.event.data)),
          rowsOfBlock.map((r) => JSON.stringify(r.event.metadata)),
          rowsOfBlock.map(() => this.recordedAt),
        ]);
        return rowsOfBlock.length;
      });
      await this.pool
        .query(`UPDATE "${this.schema}".position_counter SET last = $1`, [result.ops])
        .catch(() => undefined);
      await store.close();
      return {
        events: result.ops,
        seconds: result.seconds,
        per_s: result.per_s,
        method: 'adapter migrate + multi-row INSERT into its events table (no bulk append in the adapter)',
      };
    }
    // Fallback: the adapter's append, one ticket (2 events, expected no stream) per call. Order of positions
    // differs from the bulk path (per ticket rather than per block); replay cost does not depend on it.
    const result = await runPool(this.tickets, 16, capMs, async (k) => {
      const t = this.config.templates.templates;
      await store.append(
        streamIdOf(this.space, this.shortname(k)),
        ticketEvents(t[k % t.length], this.space, this.shortname(k)),
        'no_stream',
      );
      return 2;
    });
    await store.close();
    return {
      events: result.ops,
      seconds: result.seconds,
      per_s: result.per_s,
      method: `adapter append per ticket${result.capped ? ' (time-capped)' : ''}`,
    };
  }

  /** Replays the seeded events with the real runner into a fresh database, up to `seeded` events or `capMs`. */
  async replay(seeded: number, capMs: number): Promise<ReplayRun> {
    const db = `bench_rebuild_${this.config.tag}_r${++this.run}`;
    const store = new PostgresEventStore({ connectionString: this.config.pgUrl, schema: this.schema });
    const connection = await mongoose.createConnection(mongoUriFor(this.config.mongoUri, db)).asPromise();
    try {
      const models = new ReadModels(connection);
      await models.ensureIndexes();
      const quiet = {
        log: () => undefined,
        warn: () => undefined,
        error: (m: string) => process.stderr.write(`[bench] rebuild: ${m}\n`),
      };
      const runner = new ProjectionRunner({
        name: 'bench_rebuild',
        store,
        projections: models.projections(),
        checkpoints: models.checkpoints,
        logger: quiet,
      });
      const timeline: { t: number; n: number }[] = [];
      const start = now();
      await runner.start();
      for (;;) {
        const n = runner.status().events_processed;
        timeline.push({ t: now() - start, n });
        if (n >= seeded || now() - start > capMs) break;
        await sleep(100);
      }
      await runner.stop();
      const seconds = (now() - start) / 1000;
      const events = runner.status().events_processed;
      const rate = events / seconds;
      const quarter = timeline.filter((p) => p.t >= timeline[timeline.length - 1].t * 0.75);
      const lastQuarter =
        quarter.length >= 2 && quarter[quarter.length - 1].t > quarter[0].t
          ? ((quarter[quarter.length - 1].n - quarter[0].n) /
              (quarter[quarter.length - 1].t - quarter[0].t)) *
            1000
          : null;
      return {
        events,
        seconds: round(seconds),
        events_per_s: round(rate, 1),
        events_per_s_last_quarter: lastQuarter === null ? null : round(lastQuarter, 1),
        capped: events < seeded,
        projected_total_s: round(rate > 0 ? seeded / rate : Number.POSITIVE_INFINITY, 1),
      };
    } finally {
      await connection.db?.dropDatabase().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await store.close().catch(() => undefined);
    }
  }

  /**
   * The final documents of the same tickets (the projection's own writes folded in memory) and their
   * counters, `insertMany`-ed in batches of 1000 into a fresh database with the same indexes.
   */
  async bulk(seeded: number, capMs: number): Promise<BulkRun> {
    const db = `bench_rebuild_${this.config.tag}_b${++this.run}`;
    const connection = await mongoose.createConnection(mongoUriFor(this.config.mongoUri, db)).asPromise();
    try {
      const model = new TicketsReadModel(connection);
      await model.ensureIndexes();
      const tickets = connection.db!.collection('tickets');
      const counters = connection.db!.collection('ticket_counters');
      const counts = new Map<string, mongo.Document>();
      const blocks = Math.ceil(Math.ceil(seeded / 2) / BLOCK);
      const start = now();
      let documents = 0;
      let capped = false;
      for (let b = 0; b < blocks; b += 2) {
        if (now() - start > capMs) {
          capped = true;
          break;
        }
        const docs = [
          ...finalDocuments(this.block(b), this.recordedAt),
          ...(b + 1 < blocks ? finalDocuments(this.block(b + 1), this.recordedAt) : []),
        ];
        foldCounters(counts, docs);
        await tickets.insertMany(docs as unknown as mongo.Document[], { ordered: false });
        documents += docs.length;
      }
      if (counts.size > 0) await counters.insertMany([...counts.values()], { ordered: false });
      const seconds = (now() - start) / 1000;
      const rate = (2 * documents) / seconds;
      return {
        documents,
        events_equivalent: 2 * documents,
        seconds: round(seconds),
        events_equivalent_per_s: round(rate, 1),
        capped,
        projected_total_s: round(rate > 0 ? seeded / rate : Number.POSITIVE_INFINITY, 1),
      };
    } finally {
      await connection.db?.dropDatabase().catch(() => undefined);
      await connection.close().catch(() => undefined);
    }
  }

  async teardown(): Promise<void> {
    await this.pool?.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`).catch(() => undefined);
    await this.pool?.end().catch(() => undefined);
  }
}

/** One event of a ticket stream, with the revision and global position it is recorded at. */
export interface SeededEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly event: NewEvent;
}

/**
 * The `tickets` documents `events` leave behind, as the projection writes them: its own document builder
 * (`ticketWriteFor`) per event, updates folded in memory in order (one document per stream).
 */
export function finalDocuments(events: readonly SeededEvent[], recordedAt: string): TicketDocument[] {
  const docs = new Map<string, Record<string, unknown>>();
  for (const row of events) {
    const write = ticketWriteFor(asRecorded(row.event, row.stream, row.revision, row.position, recordedAt));
    if (write.kind !== 'update') docs.set(row.stream, { ...write.document });
    else {
      const doc = docs.get(row.stream);
      if (doc) applyUpdate(doc, write.update as Record<string, Record<string, unknown>>);
    }
  }
  return [...docs.values()] as unknown as TicketDocument[];
}

/**
 * Adds the `ticket_counters` contributions of `docs` (the read model's own `countedFactsOf` /
 * `counterContributions`) to `counts`, keyed by counter `_id`: the counter documents to insert.
 */
export function foldCounters(counts: Map<string, mongo.Document>, docs: readonly TicketDocument[]): void {
  for (const doc of docs) {
    const facts = countedFactsOf(doc);
    if (!facts) continue;
    for (const c of counterContributions(facts)) {
      const prev = counts.get(c._id);
      counts.set(c._id, {
        ...c,
        open: (prev?.['open'] ?? 0) + c.open,
        closed: (prev?.['closed'] ?? 0) + c.closed,
        last_position: doc.last_position,
        updated_at: doc.updated_at,
      });
    }
  }
}

/** Applies the `$set` / `$unset` / `$push` of a MongoDB update to a plain document (dotted paths). */
export function applyUpdate(
  doc: Record<string, unknown>,
  update: Record<string, Record<string, unknown>>,
): void {
  const walk = (path: string): [Record<string, unknown>, string] => {
    const parts = path.split('.');
    let node = doc;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    return [node, parts[parts.length - 1]];
  };
  for (const [path, value] of Object.entries(update['$set'] ?? {})) {
    const [node, key] = walk(path);
    node[key] = value;
  }
  for (const path of Object.keys(update['$unset'] ?? {})) {
    const [node, key] = walk(path);
    delete node[key];
  }
  for (const [path, value] of Object.entries(update['$push'] ?? {})) {
    const [node, key] = walk(path);
    node[key] = [...((node[key] as unknown[]) ?? []), value];
  }
}
