import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import mongoose, { type Connection } from 'mongoose';
import { Client } from 'pg';
import { loadConfig, type AppConfig } from '@tickets/config';
import { topicNames, type TopicNames } from '@tickets/contracts';
import { createEventStore, type EventStore, type NewEvent } from '@tickets/event-store';
import { bootstrap } from '../bootstrap';

/**
 * Test support (integration tests only): the projection service in-process on the real servers, isolated per
 * test file: a PostgreSQL event store schema, a MongoDB database, a Kafka topic prefix and a checkpoint name of
 * its own, all removed by `close()`.
 */
export interface ServiceUnderTest {
  readonly config: AppConfig;
  readonly topics: TopicNames;
  readonly store: EventStore;
  /** A connection to the service's database (for assertions). */
  readonly connection: Connection;
  app: INestApplication;
  baseUrl: string;
  /** Appends `event` to `stream` at its next revision; resolves the event's id and position. */
  append(stream: string, event: { type: string; data: object }): Promise<{ id: string; position: bigint }>;
  /** Creates the service's `tickets.events.v1` topic (3 partitions). */
  createEventsTopic(): Promise<void>;
  /** Starts the service (again) with the same configuration; `close()`s a running one first. */
  start(): Promise<void>;
  /** Stops the service (stores its checkpoints). */
  stop(): Promise<void>;
  /** Stops everything and removes the schema, database and topics. */
  close(): Promise<void>;
}

/** Sets up (but does not start) an isolated projection service; `overrides` go over the loaded config. */
export async function serviceUnderTest(overrides: Partial<AppConfig> = {}): Promise<ServiceUnderTest> {
  const base = loadConfig();
  const id = randomBytes(5).toString('hex');
  const schema = `es_test_${id}`;
  const url = new URL(base.MONGODB_URI);
  url.pathname = `/tickets_test_${id}`;
  const config: AppConfig = {
    ...base,
    POSTGRES_SCHEMA: schema,
    MONGODB_URI: url.toString(),
    KAFKA_TOPIC_PREFIX: `ps-${id}.`,
    PROJECTION_NAME: `svc-${id}`,
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema });
  const connection = await mongoose.createConnection(config.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }).asPromise();
  const admin = (): Admin => new Kafka({ clientId: `test-admin-${id}`, brokers: [...config.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  const revisions = new Map<string, bigint>();
  let topicCreated = false;

  const sut: ServiceUnderTest = {
    config,
    topics,
    store,
    connection,
    app: undefined as unknown as INestApplication,
    baseUrl: '',
    async append(stream, event) {
      const expected = revisions.has(stream) ? (revisions.get(stream) as bigint) : 'no_stream';
      const newEvent: NewEvent = {
        id: randomUUID(),
        type: event.type,
        data: event.data as Record<string, unknown>,
        metadata: { command_id: randomUUID(), correlation_id: randomUUID(), causation_id: randomUUID(), actor: 'tester', occurred_at: new Date().toISOString() },
      };
      const result = await store.append(stream, [newEvent], expected);
      revisions.set(stream, expected === 'no_stream' ? 0n : expected + 1n);
      return { id: newEvent.id, position: result.position };
    },
    async createEventsTopic() {
      const client = admin();
      await client.connect();
      await client.createTopics({ waitForLeaders: true, topics: [{ topic: topics.events, numPartitions: 3 }] });
      await client.disconnect();
      topicCreated = true;
    },
    async start() {
      if (sut.baseUrl) await sut.stop();
      sut.app = await bootstrap(config, { port: 0 });
      const address = sut.app.getHttpServer().address() as { port: number };
      sut.baseUrl = `http://127.0.0.1:${address.port}`;
    },
    async stop() {
      await sut.app?.close();
      sut.baseUrl = '';
    },
    async close() {
      await sut.stop().catch(() => undefined);
      await store.close();
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
      const pg = new Client({ connectionString: config.POSTGRES_URL });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pg.end();
      if (topicCreated) {
        const client = admin();
        await client.connect();
        await client.deleteTopics({ topics: [topics.events] }).catch(() => undefined);
        await client.disconnect();
      }
    },
  };
  return sut;
}

/** A `TicketCreated` event's data for `key` (the projections' minimum). */
export function createdData(key: { space_name: string; subpath: string; shortname: string }, overrides: Record<string, unknown> = {}) {
  return {
    ...key,
    uuid: randomUUID(),
    workflow_shortname: 'support',
    workflow_version: 1,
    state: 'new',
    is_open: true,
    is_active: true,
    tags: [],
    collaborators: {},
    owner_shortname: 'alice',
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

/** Polls `probe` every 50 ms until it returns a truthy value or `timeoutMs` passes; resolves the last value. */
export async function eventually<T>(probe: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
