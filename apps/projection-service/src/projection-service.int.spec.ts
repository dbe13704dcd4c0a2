import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { loadConfig } from '@tickets/config';
import { createEventStore, type EventStore } from '@tickets/event-store';
import mongoose, { type Connection } from 'mongoose';
import { TicketsReadModel } from '@tickets/read-models';
import { bootstrap } from './bootstrap';
import { createdData } from './testing/service-under-test';
import { ProjectionWorker } from './projection.worker';

/**
 * The projection service in-process, on the real PostgreSQL event store (own schema) and the real
 * MongoDB-compatible server (own database): it projects appended events and serves /health and /metrics.
 */
// Servers shared with other test runs can be slow; the project's `testTimeout` does not reach hooks.
jest.setTimeout(60_000);

describe('projection-service (in-process, real servers)', () => {
  const schema = `es_test_${randomBytes(5).toString('hex')}`;
  let db: { uri: string; connection: Connection };
  let app: INestApplication;
  let store: EventStore;
  let baseUrl: string;

  beforeAll(async () => {
    const base = loadConfig();
    const url = new URL(base.MONGODB_URI);
    url.pathname = `/tickets_test_${randomBytes(6).toString('hex')}`;
    db = { uri: url.toString(), connection: await mongoose.createConnection(url.toString()).asPromise() };
    // Publishing on tickets.events.v1 has its own test (integration-events.int.spec.ts), on topics of its own.
    const config = { ...base, POSTGRES_SCHEMA: schema, MONGODB_URI: db.uri, PROJECTION_NAME: 'svc-test', LOG_LEVEL: 'warn' as const, INTEGRATION_EVENTS_ENABLED: false };
    store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema });
    app = await bootstrap(config, { port: 0 });
    const address = app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await db?.connection.dropDatabase();
    await db?.connection.close();
    const pg = new Client({ connectionString: loadConfig().POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  it('projects appended events and reports health, lag and metrics', async () => {
    const key = { space_name: 'acme', subpath: 'tickets', shortname: 'svc1' };
    const data = createdData(key);
    const metadata = { command_id: 'c', correlation_id: 'c', causation_id: 'c', actor: 'alice', occurred_at: data.created_at };
    const { position } = await store.append(
      'ticket-acme/tickets/svc1',
      [{ id: randomUUID(), type: 'TicketCreated', data, metadata }],
      'no_stream',
    );
    expect(await new TicketsReadModel(db.connection).waitForPosition(key, position, 10_000)).toBe(true);

    const health = await fetch(`${baseUrl}/health`);
    const body = (await health.json()) as { status: string; details: Record<string, Record<string, unknown>> };
    expect(health.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.projection).toMatchObject({ status: 'up', running: true, behind: 0, stalled: false, name: 'svc-test', generation: 1 });
    expect(body.details.mongodb).toMatchObject({ status: 'up' });
    expect(body.details.event_store).toMatchObject({ status: 'up' });

    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^projection_lag_events 0$/m);
    expect(metrics).toMatch(/^projection_lag_ms 0$/m);
    expect(metrics).toMatch(/^projection_events_applied_total\{projection="tickets",outcome="applied"\} 1$/m);
    expect(metrics).toMatch(/^read_model_generation 1$/m);
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('answers 503 when the projection is not running', async () => {
    await app.get(ProjectionWorker).runner.stop();
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { error: Record<string, Record<string, unknown>> };
    expect(body.error.projection).toMatchObject({ status: 'down', running: false });
  });
});
