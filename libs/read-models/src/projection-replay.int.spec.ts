import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '@tickets/config';
import type { ResourceKey, TicketEvent } from '@tickets/domain';
import { createEventStore, type EventStore, type NewEvent } from '@tickets/event-store';
import { ProjectionRunner } from './projection-runner';
import { ReadModels } from './read-models';
import { openTestDatabase, type TestDatabase } from './testing/mongo-test-db';
import { ticketAssigned, ticketCreated, ticketProgressed, ticketStream } from './testing/recorded-events';

/**
 * A replay of a whole event log into empty read models (what a rebuild does), against the real servers: the
 * batched projection ends with every document and counter a recount gives. It logs the replay's events/s
 * (`REPLAY_TICKETS` tickets x 5 events, default 400); speed is observed here, never asserted.
 */
jest.setTimeout(600_000);

describe('replaying the event log into empty read models (real servers)', () => {
  const config = loadConfig();
  const schema = `es_test_${randomBytes(5).toString('hex')}`;
  const tickets = Number(process.env.REPLAY_TICKETS ?? 400);
  let store: EventStore;
  let db: TestDatabase;

  beforeAll(async () => {
    store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema });
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    const pg = new Client({ connectionString: config.POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  const toNew = (event: { type: string; data: object }): NewEvent => ({
    id: randomUUID(),
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: {
      command_id: randomUUID(),
      correlation_id: randomUUID(),
      causation_id: randomUUID(),
      actor: 'tester',
      occurred_at: new Date().toISOString(),
    },
  });

  it('projects every event once, with counters equal to a recount', async () => {
    const keys: ResourceKey[] = Array.from({ length: tickets }, (_, i) => ({
      space_name: `s${i % 7}`,
      subpath: 'tickets',
      shortname: `t${i}`,
    }));
    // Two rounds, so a batch holds events of many tickets and several of one ticket.
    for (let i = 0; i < keys.length; i += 20) {
      await Promise.all(
        keys
          .slice(i, i + 20)
          .map((key) =>
            store.append(
              ticketStream(key),
              [ticketCreated(key), ticketProgressed('new', 'in_progress', true) as TicketEvent].map(toNew),
              'no_stream',
            ),
          ),
      );
    }
    let head = 0n;
    for (const [i, key] of keys.entries()) {
      const events = [
        ticketAssigned(`u${i % 5}`, `g${i % 3}`),
        ticketProgressed('in_progress', i % 2 ? 'done' : 'in_progress', i % 2 === 0, {
          comment: 'c',
        }) as TicketEvent,
        ticketAssigned('zed'),
      ];
      const { position } = await store.append(ticketStream(key), events.map(toNew), 1n);
      if (position > head) head = position;
    }

    const models = new ReadModels(db.connection);
    await models.ensureIndexes();
    const runner = new ProjectionRunner({
      name: 'replay',
      store,
      projections: models.projections(),
      checkpoints: models.checkpoints,
      parking: models.parked,
      logger: { log: () => undefined, warn: console.warn, error: console.error },
    });
    const started = performance.now();
    await runner.start();
    expect(await runner.waitForPosition(head, 600_000)).toBe(true);
    const seconds = (performance.now() - started) / 1000;
    await runner.stop();
    console.log(
      `replay: ${tickets * 5} events in ${seconds.toFixed(2)} s = ${Math.round((tickets * 5) / seconds)} events/s`,
    );

    expect(await models.tickets.count({})).toBe(tickets);
    expect(await models.tickets.count({ revision: 4 })).toBe(tickets);
    const all = await models.tickets.counts('s0', 'all');
    const live = await models.tickets.find({ space_name: 's0' }, { limit: 100_000 });
    expect(all).toMatchObject([
      { open: live.filter((t) => t.is_open).length, closed: live.filter((t) => !t.is_open).length },
    ]);
    expect((await runner.lag()).parked).toBe(0);
  });
});
