import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import mongoose, { type Connection, type mongo } from 'mongoose';
import { Pool } from 'pg';
import { PostgresEventStore, type NewEvent } from '@tickets/event-store';
import { TicketsReadModel, ticketWriteFor } from '@tickets/read-models';
import { runPool, type PoolResult } from './pool';
import { now, summarize, type LatencySummary } from './stats';
import { asRecorded, streamIdOf, ticketEvents, type Templates } from './templates';
import { envelopeFor } from './workload';

/**
 * The raw baseline: the bare work the pipeline cannot avoid for N commands, with the same drivers and no
 * framework, against the same local servers, in scratch topics / schema / database:
 * - Kafka: per command, produce the command (real envelope) and consume it in a consumer group reading 6
 *   partitions concurrently, one message at a time per partition (per-ticket order, as the contract asks),
 *   produce a result of the real result's size keyed by command id, consume it on the sender's side;
 * - PostgreSQL through the real adapter (`PostgresEventStore.append`, expected revision checked) and through
 *   plain `pg` single-row INSERTs into an events table with the same keys (position, event id,
 *   stream+revision);
 * - MongoDB: per command the projection's own document write (`ticketWriteFor`: a replace-upsert of the
 *   created ticket, a `$set` update for the progress) on a collection with the read model's indexes, without
 *   its revision-guard read and counters.
 * A unit of work is one ticket: its create and its progress (2 commands), in order.
 */
export interface BaselineConfig {
  readonly brokers: readonly string[];
  readonly pgUrl: string;
  readonly mongoUri: string;
  readonly tag: string;
  readonly templates: Templates;
  /** Sample result messages by command type (from the Kafka run), to size result messages. */
  readonly sampleResults: ReadonlyMap<string, string>;
  readonly concurrency: { readonly kafka: number; readonly pg: number; readonly mongo: number };
}

export interface ComponentRun extends PoolResult {
  readonly latency_ms?: LatencySummary | null;
}

export function mongoUriFor(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

export class RawBaseline {
  readonly schema: string;
  readonly space: string;
  readonly db: string;
  private readonly cmdTopic: string;
  private readonly resTopic: string;
  private admin?: Admin;
  private clientProducer?: Producer;
  private workerProducer?: Producer;
  private worker?: Consumer;
  private clientConsumer?: Consumer;
  private readonly pending = new Map<string, () => void>();
  private store?: PostgresEventStore;
  private pool?: Pool;
  private mongoConnection?: Connection;
  private tickets?: mongo.Collection;
  private run = 0;

  constructor(private readonly config: BaselineConfig) {
    this.schema = `bench_raw_${config.tag}`;
    this.space = `bench_raw_${config.tag}`;
    this.db = `bench_raw_${config.tag}`;
    this.cmdTopic = `bench.raw.${config.tag}.commands`;
    this.resTopic = `bench.raw.${config.tag}.results`;
  }

  async setup(): Promise<void> {
    const { brokers } = this.config;
    const kafka = (id: string) =>
      new Kafka({
        clientId: `bench-raw-${id}-${this.config.tag}`,
        brokers: [...brokers],
        logLevel: logLevel.NOTHING,
      });
    this.admin = kafka('admin').admin();
    await this.admin.connect();
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: this.cmdTopic, numPartitions: 6, replicationFactor: 1 },
        { topic: this.resTopic, numPartitions: 6, replicationFactor: 1 },
      ],
    });
    // Two clients, as in the system: the sender (gateway's role) and the worker (ticket-service's role).
    const sender = kafka('sender');
    const worker = kafka('worker');
    this.clientProducer = sender.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    this.workerProducer = worker.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await Promise.all([this.clientProducer.connect(), this.workerProducer.connect()]);
    this.worker = worker.consumer({ groupId: `bench-raw-worker-${this.config.tag}`, maxWaitTimeInMs: 100 });
    this.clientConsumer = sender.consumer({
      groupId: `bench-raw-sender-${this.config.tag}`,
      maxWaitTimeInMs: 100,
    });
    await Promise.all([this.worker.connect(), this.clientConsumer.connect()]);
    await this.worker.subscribe({ topic: this.cmdTopic, fromBeginning: true });
    await this.clientConsumer.subscribe({ topic: this.resTopic, fromBeginning: true });
    const results = {
      create: this.config.sampleResults.get('CreateTicket'),
      progress: this.config.sampleResults.get('ProgressTicket'),
    };
    await this.worker.run({
      partitionsConsumedConcurrently: 6,
      eachMessage: async ({ message }) => {
        const envelope = JSON.parse(message.value?.toString() ?? '{}') as {
          command_id: string;
          type: string;
        };
        const template = envelope.type === 'CreateTicket' ? results.create : results.progress;
        const value = template
          ? template.replace(/"command_id":"[^"]*"/, `"command_id":"${envelope.command_id}"`)
          : JSON.stringify({
              command_id: envelope.command_id,
              status: 'succeeded',
              ticket: envelope,
              position: '1',
            });
        await this.workerProducer!.send({
          topic: this.resTopic,
          messages: [{ key: envelope.command_id, value }],
        });
      },
    });
    await this.clientConsumer.run({
      partitionsConsumedConcurrently: 6,
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        const done = this.pending.get(key);
        if (done) {
          this.pending.delete(key);
          done();
        }
      },
    });

    this.store = new PostgresEventStore({
      connectionString: this.config.pgUrl,
      schema: this.schema,
      poolMax: 10,
    });
    await this.store.migrate();
    this.pool = new Pool({ connectionString: this.config.pgUrl, max: 10 });
    this.pool.on('error', () => undefined);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS "${this.schema}".raw_events (
      position bigserial PRIMARY KEY,
      stream_id text NOT NULL,
      revision bigint NOT NULL,
      event_id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (stream_id, revision))`);

    this.mongoConnection = await mongoose
      .createConnection(mongoUriFor(this.config.mongoUri, this.db))
      .asPromise();
    await new TicketsReadModel(this.mongoConnection).ensureIndexes();
    this.tickets = this.mongoConnection.db!.collection('tickets');

    // Warm-up: both consumer groups joined and every connection open before anything is timed.
    await this.kafka(40, 30_000);
  }

  /** A ticket shortname unique to one component run. */
  private shortname(kind: string, run: number, i: number): string {
    return `${kind}${run.toString(36)}_${i.toString(36)}`;
  }

  private template(i: number) {
    const t = this.config.templates.templates;
    return t[i % t.length];
  }

  /** `commands` commands through Kafka (command + result, each produced and consumed). */
  async kafka(commands: number, capMs: number): Promise<ComponentRun> {
    const run = ++this.run;
    const latencies: number[] = [];
    const roundTrip = async (space: string, kind: 'create' | 'progress', shortname: string) => {
      const envelope = envelopeFor(space, { kind, shortname });
      const t0 = now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(envelope.command_id);
          reject(new Error('raw Kafka round trip: no result within 30 s'));
        }, 30_000);
        this.pending.set(envelope.command_id, () => {
          clearTimeout(timer);
          resolve();
        });
        this.clientProducer!.send({
          topic: this.cmdTopic,
          messages: [{ key: `${space}/tickets/${shortname}`, value: JSON.stringify(envelope) }],
        }).catch(reject);
      });
      latencies.push(now() - t0);
    };
    const result = await runPool(Math.ceil(commands / 2), this.config.concurrency.kafka, capMs, async (i) => {
      const shortname = this.shortname('k', run, i);
      await roundTrip(this.space, 'create', shortname);
      await roundTrip(this.space, 'progress', shortname);
      return 2;
    });
    return { ...result, latency_ms: summarize(latencies) };
  }

  /** `commands` appends through the real adapter (create: expected no stream; progress: expected revision 0). */
  async pgAdapter(commands: number, capMs: number): Promise<ComponentRun> {
    const run = ++this.run;
    return runPool(Math.ceil(commands / 2), this.config.concurrency.pg, capMs, async (i) => {
      const shortname = this.shortname('a', run, i);
      const [created, progressed] = ticketEvents(this.template(i), this.space, shortname);
      const stream = streamIdOf(this.space, shortname);
      await this.store!.append(stream, [created], 'no_stream');
      await this.store!.append(stream, [progressed], 0n);
      return 2;
    });
  }

  /** `commands` single-row INSERTs with plain `pg` (one statement, autocommit, per event). */
  async pgRaw(commands: number, capMs: number): Promise<ComponentRun> {
    const run = ++this.run;
    const sql = `INSERT INTO "${this.schema}".raw_events (stream_id, revision, event_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6)`;
    const insert = (stream: string, revision: number, e: NewEvent) =>
      this.pool!.query(sql, [
        stream,
        revision,
        e.id,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      ]);
    return runPool(Math.ceil(commands / 2), this.config.concurrency.pg, capMs, async (i) => {
      const shortname = this.shortname('r', run, i);
      const [created, progressed] = ticketEvents(this.template(i), this.space, shortname);
      const stream = streamIdOf(this.space, shortname);
      await insert(stream, 0, created);
      await insert(stream, 1, progressed);
      return 2;
    });
  }

  /** `commands` document writes (the projection's own writes for those events), then 50 point reads by `_id`. */
  async mongo(commands: number, capMs: number): Promise<ComponentRun> {
    const run = ++this.run;
    const at = new Date().toISOString();
    const ids: string[] = [];
    const result = await runPool(Math.ceil(commands / 2), this.config.concurrency.mongo, capMs, async (i) => {
      const shortname = this.shortname('m', run, i);
      const [created, progressed] = ticketEvents(this.template(i), this.space, shortname);
      const stream = streamIdOf(this.space, shortname);
      const first = ticketWriteFor(asRecorded(created, stream, 0, 2 * i + 1, at));
      const second = ticketWriteFor(asRecorded(progressed, stream, 1, 2 * i + 2, at));
      if (first.kind === 'update' || second.kind !== 'update')
        throw new Error('unexpected write kinds for created/progressed');
      const _id = first.document._id;
      await this.tickets!.replaceOne({ _id: _id as never }, first.document as mongo.Document, {
        upsert: true,
      });
      await this.tickets!.updateOne(
        { _id: _id as never },
        second.update as mongo.UpdateFilter<mongo.Document>,
      );
      ids.push(_id);
      return 2;
    });
    const reads: number[] = [];
    for (let k = 0; k < Math.min(50, ids.length); k++) {
      const t0 = now();
      await this.tickets!.findOne(
        { _id: ids[Math.floor(Math.random() * ids.length)] as never },
        { projection: { revision: 1 } },
      );
      reads.push(now() - t0);
    }
    return { ...result, latency_ms: summarize(reads) };
  }

  /**
   * Kafka, plain `pg` and MongoDB work for `commands` commands, all at once: the machine's ceiling. Each part
   * runs at the rate the others leave it; complete commands (all three parts done) go at the slowest of
   * those rates.
   */
  async combined(
    commands: number,
    capMs: number,
  ): Promise<ComponentRun & { parts: Record<string, ComponentRun> }> {
    const start = now();
    const [kafka, pg, mongoRun] = await Promise.all([
      this.kafka(commands, capMs),
      this.pgRaw(commands, capMs),
      this.mongo(commands, capMs),
    ]);
    const seconds = (now() - start) / 1000;
    const parts = { kafka, pg_raw: pg, mongo: mongoRun };
    const slowest = Object.values(parts).reduce((a, b) => (b.per_s < a.per_s ? b : a));
    return {
      ops: slowest.ops,
      seconds: Math.round(seconds * 1000) / 1000,
      per_s: slowest.per_s,
      capped: kafka.capped || pg.capped || mongoRun.capped,
      parts,
    };
  }

  /** Deletes the scratch topics, schema and database. */
  async teardown(): Promise<void> {
    const quiet = (p: Promise<unknown> | undefined) => p?.catch(() => undefined);
    await quiet(this.worker?.disconnect());
    await quiet(this.clientConsumer?.disconnect());
    await quiet(this.clientProducer?.disconnect());
    await quiet(this.workerProducer?.disconnect());
    await quiet(this.admin?.deleteTopics({ topics: [this.cmdTopic, this.resTopic] }));
    await quiet(
      this.admin?.deleteGroups([
        `bench-raw-worker-${this.config.tag}`,
        `bench-raw-sender-${this.config.tag}`,
      ]),
    );
    await quiet(this.admin?.disconnect());
    await quiet(this.store?.close());
    await quiet(this.pool?.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`));
    await quiet(this.pool?.end());
    await quiet(this.mongoConnection?.db?.dropDatabase());
    await quiet(this.mongoConnection?.close());
  }
}

export function newTag(): string {
  return randomUUID().replace(/-/g, '').slice(0, 8);
}
