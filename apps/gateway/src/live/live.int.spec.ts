import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import mongoose, { type Connection } from 'mongoose';
import { Client } from 'pg';
import { topicNames } from '@tickets/contracts';
import { createEventStore, type EventStore, type NewEvent } from '@tickets/event-store';
import {
  BatchingPublisher,
  MongoCheckpointStore,
  ProjectionRunner,
  publishBeforeCheckpoint,
  ReadModels,
  TicketFactsTracker,
  TicketIntegrationEventsProjection,
} from '@tickets/read-models';
import { isolatedConfig, ticketCreatedData, tokenFor } from '@tickets/testing';
import { DmartExceptionFilter } from '../errors/dmart-exception.filter';
import { openSseStream } from './testing/sse-stream';
import { GatewayModule } from '../gateway.module';

/**
 * `GET /live/{space}` (Server-Sent Events) on the gateway in-process, fed through real Kafka: a change appended
 * to the real event store is projected (read model) and published on `tickets.events.v1` (by the same runner,
 * projection and publisher classes the projection-service uses), consumed by the gateway and pushed to the open
 * stream. Isolated: event store schema, database and topic prefix of its own.
 */
jest.setTimeout(120_000);

describe('GET /live/{space} (Server-Sent Events)', () => {
  const config = isolatedConfig('live');
  const { id, POSTGRES_SCHEMA: schema } = config;
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const kafka = new Kafka({ clientId: `live-test-${id}`, brokers: [...config.kafkaBrokers], logLevel: logLevel.NOTHING });
  const space = `live_${id}`;
  const token = tokenFor('watcher', ['agent']);
  let store: EventStore;
  let connection: Connection;
  let producer: Producer;
  let runners: ProjectionRunner[] = [];
  let publisher: BatchingPublisher;
  let app: INestApplication;
  let baseUrl: string;
  const revisions = new Map<string, bigint>();
  const quiet = { log: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

  const append = async (stream: string, type: string, data: object): Promise<bigint> => {
    const expected = revisions.has(stream) ? (revisions.get(stream) as bigint) : 'no_stream';
    const event: NewEvent = {
      id: randomUUID(),
      type,
      data: data as Record<string, unknown>,
      metadata: { command_id: randomUUID(), correlation_id: randomUUID(), causation_id: randomUUID(), actor: 'alice', occurred_at: new Date().toISOString() },
    };
    const { position } = await store.append(stream, [event], expected);
    revisions.set(stream, expected === 'no_stream' ? 0n : expected + 1n);
    return position;
  };
  const created = (space_name: string, shortname: string) => ticketCreatedData({ space_name, subpath: 'tickets', shortname });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.events, numPartitions: 3 }] });
    await admin.disconnect();
    store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema });
    connection = await mongoose.createConnection(config.MONGODB_URI).asPromise();

    // The projection side, as in projection-service: the read models, and the publisher of tickets.events.v1.
    const models = new ReadModels(connection);
    await models.ensureIndexes();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    publisher = new BatchingPublisher(async (messages) => {
      await producer.send({ topic: topics.events, messages: messages.map((m) => ({ ...m, headers: { ...m.headers } })) });
    });
    runners = [
      new ProjectionRunner({ name: 'live-read-models', store, projections: models.projections(), checkpoints: models.checkpoints, logger: quiet }),
      new ProjectionRunner({
        name: 'live-events',
        store,
        projections: [new TicketIntegrationEventsProjection(new TicketFactsTracker(store), publisher)],
        checkpoints: publishBeforeCheckpoint(new MongoCheckpointStore(connection), publisher),
        logger: quiet,
      }),
    ];
    for (const runner of runners) await runner.start();

    app = await NestFactory.create(GatewayModule.forRoot(config), { logger: false });
    app.useGlobalFilters(new DmartExceptionFilter());
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    for (const runner of runners) await runner.stop();
    publisher?.stop();
    await producer?.disconnect();
    await store?.close();
    await connection?.dropDatabase();
    await connection?.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topics.events] }).catch(() => undefined);
    await admin.disconnect();
    const pg = new Client({ connectionString: config.POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  it('refuses a stream without a token (Dmart code 49)', async () => {
    const response = await fetch(`${baseUrl}/live/${space}`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status: 'failed', error: { type: 'auth', code: 49 } });
  });

  it('refuses an invalid access_token (code 47)', async () => {
    const response = await fetch(`${baseUrl}/live/${space}?access_token=nonsense`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 47 } });
  });

  describe('with the token as access_token (EventSource) or as a bearer header', () => {
    it('starts with the space counters, then pushes a change and its counter deltas within a second', async () => {
      const seeded = await append(`ticket-${space}/tickets/t1`, 'TicketCreated', created(space, 't1'));
      expect(await runners[0].waitForPosition(seeded, 10_000)).toBe(true);

      const stream = await openSseStream(`${baseUrl}/live/${space}?access_token=${token}`);
      const other = await openSseStream(`${baseUrl}/live/other_${id}`, { authorization: `Bearer ${token}` });
      try {
        expect(stream.response.status).toBe(200);
        expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const snapshot = await stream.next((e) => e.event === 'snapshot');
        expect(snapshot?.data).toMatchObject({ space_name: space });
        expect(snapshot?.data.counters).toEqual(expect.arrayContaining([{ dimension: 'all', key: '*', open: 1, closed: 0, last_position: Number(seeded) }]));
        expect(await other.next((e) => e.event === 'snapshot')).toBeDefined();
        // The stream was opened after the seed: the seed's own event (if still in flight) may or may not show.
        await new Promise((resolve) => setTimeout(resolve, 300));

        const before = Date.now();
        const position = await append(`ticket-${space}/tickets/t1`, 'TicketProgressed', {
          action: 'close',
          from_state: 'new',
          state: 'done',
          is_open: false,
          resolution_reason: 'fixed',
          actor: 'alice',
          at: new Date().toISOString(),
        });
        const change = await stream.next((e) => e.event === 'ticket' && e.data.position === position.toString(), 5000);
        expect(change).toBeDefined();
        expect(change!.at - before).toBeLessThan(1000);
        expect(change).toMatchObject({
          id: position.toString(),
          data: { event_type: 'TicketProgressed', ticket_path: `${space}/tickets/t1`, ticket: { state: 'done', is_open: false }, schema_version: 1 },
        });
        const deltas = await stream.next((e) => e.event === 'counters' && e.data.position === position.toString(), 1000);
        expect(deltas?.data).toMatchObject({ space_name: space, event_id: change!.data.event_id });
        expect(deltas?.data.deltas).toEqual(expect.arrayContaining([{ dimension: 'all', key: '*', open: -1, closed: 1 }]));

        // Another space's stream sees none of it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(other.events.filter((e) => e.event === 'ticket' || e.event === 'counters')).toEqual([]);
      } finally {
        await stream.close();
        await other.close();
      }
    });
  });
});
