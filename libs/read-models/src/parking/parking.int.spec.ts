import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '@tickets/config';
import type { ResourceKey, TicketEvent } from '@tickets/domain';
import { createEventStore, type EventStore, type RecordedEvent } from '@tickets/event-store';
import type { ApplyOutcome, Projection } from '../projection';
import { ProjectionRunner } from '../projection-runner';
import { ReadModels } from '../read-models';
import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import { ticketAssigned, ticketCreated, ticketProgressed, ticketStream } from '../testing/recorded-events';

/**
 * Parking against the real servers (PostgreSQL event store, MongoDB replica set): an event the read models
 * cannot apply, appended straight to the event store (bypassing the command side's validation), no longer
 * stops the read models. It is parked with the later events of its stream; every other stream flows on;
 * re-applying works once the cause is fixed.
 */
jest.setTimeout(60_000);

/** A payload body of `depth` arrays nested in each other (what the BSON encoder cannot hold). */
function nestedArrays(depth: number): unknown {
  let body: unknown = [];
  for (let i = 0; i < depth; i++) body = [body];
  return body;
}

describe('parking events the read models cannot apply (real servers)', () => {
  const config = loadConfig();
  const schema = `es_test_${randomBytes(5).toString('hex')}`;
  let store: EventStore;
  let db: TestDatabase;
  let models: ReadModels;
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

  beforeAll(async () => {
    store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema });
    db = await openTestDatabase();
    models = new ReadModels(db.connection);
    await models.ensureIndexes();
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    const pg = new Client({ connectionString: config.POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  const revisions = new Map<string, bigint>();
  const append = async (stream: string, event: { type: string; data: object }): Promise<bigint> => {
    const expected = revisions.has(stream) ? (revisions.get(stream) as bigint) : 'no_stream';
    const metadata = {
      command_id: randomUUID(),
      correlation_id: randomUUID(),
      causation_id: randomUUID(),
      actor: 'tester',
      occurred_at: new Date().toISOString(),
    };
    const result = await store.append(
      stream,
      [{ id: randomUUID(), type: event.type, data: event.data as Record<string, unknown>, metadata }],
      expected,
    );
    revisions.set(stream, expected === 'no_stream' ? 0n : expected + 1n);
    return result.position;
  };
  const runner = (name: string, projections: Projection[] = models.projections()) =>
    new ProjectionRunner({
      name,
      store,
      projections,
      checkpoints: models.checkpoints,
      parking: models.parked,
      retryInitialMs: 10,
      logger: quiet,
    });
  const key = (shortname: string): ResourceKey => ({ space_name: 'acme', subpath: 'tickets', shortname });

  it('parks a ticket update whose body is 1000 nested arrays and the events behind it; the next ticket still projects', async () => {
    const poisoned = key('deep');
    const next = key('next');
    await append(ticketStream(poisoned), ticketCreated(poisoned));
    const deep = {
      type: 'TicketUpdated',
      data: { set: { payload: { content_type: 'json', body: nestedArrays(1000) } }, unset: [] },
    };
    const deepPosition = await append(ticketStream(poisoned), deep);
    const behindPosition = await append(ticketStream(poisoned), ticketAssigned('bob'));
    const head = await append(ticketStream(next), ticketCreated(next));

    const first = runner('deep');
    await first.start();
    expect(await first.waitForPosition(head, 20_000)).toBe(true);
    const lag = await first.lag();
    await first.stop();

    expect(await models.tickets.findByKey('acme', 'tickets', 'next')).toMatchObject({
      revision: 0,
      last_position: Number(head),
    });
    expect(await models.tickets.findByKey('acme', 'tickets', 'deep')).toMatchObject({
      revision: 0,
      parked: true,
      owner_shortname: 'alice',
    });
    const records = await models.parked.list('deep');
    expect(records).toMatchObject([
      {
        projection: 'tickets',
        stream_id: ticketStream(poisoned),
        revision: 1,
        position: Number(deepPosition),
        behind: null,
        attempts: 0,
      },
      {
        projection: 'tickets',
        stream_id: ticketStream(poisoned),
        revision: 2,
        position: Number(behindPosition),
        behind: Number(deepPosition),
      },
    ]);
    expect(records[0].error).toMatch(/Maximum call stack size exceeded/); // the BSON serializer's
    expect(records[0].event).toMatchObject({ type: 'TicketUpdated', data_truncated: false });
    expect(lag).toMatchObject({
      position: head,
      behind: 0,
      stalled: false,
      parked: 2,
      parked_by_projection: { tickets: 2 },
    });
    expect(await models.checkpoints.load('deep')).toBe(head);

    // The cause is not fixed: re-applying leaves both parked, the first with one more attempt.
    expect(await first.reapplyParked()).toEqual({ reapplied: 0, still_parked: 2, streams_cleared: 0 });
    expect((await models.parked.list('deep'))[0]).toMatchObject({ attempts: 1 });
    expect(await models.tickets.findByKey('acme', 'tickets', 'deep')).toMatchObject({
      revision: 0,
      parked: true,
    });
  });

  it('re-applies the parked events in stream order once the cause is fixed, clears the mark, and follows live events again', async () => {
    const ticket = key('fixable');
    // A test double around the real projection: the event at `broken` cannot be applied until it is fixed.
    let broken: bigint | null = null;
    const real = models.tickets.projection();
    const flaky: Projection = {
      name: real.name,
      categories: real.categories,
      apply: (event) => real.apply(event),
      applyBatch: async (events: readonly RecordedEvent[]): Promise<ApplyOutcome[]> => {
        if (events.some((event) => event.position === broken))
          throw new TypeError('cannot read properties of undefined (a projection bug)');
        return real.applyBatch(events);
      },
      markParked: (stream, parked) => real.markParked(stream, parked),
    };
    // Only this test's events: the runner starts after what the first test appended.
    await models.checkpoints.save('fixable', (await store.headPosition()) as bigint);
    await append(ticketStream(ticket), ticketCreated(ticket));
    broken = await append(ticketStream(ticket), ticketProgressed('new', 'in_progress', true) as TicketEvent);
    await append(ticketStream(ticket), ticketAssigned('bob', 'l2'));
    const other = key('other');
    const head = await append(ticketStream(other), ticketCreated(other));

    const service = runner('fixable', [flaky, models.workflows.projection()]);
    await service.start();
    expect(await service.waitForPosition(head, 20_000)).toBe(true);
    expect(await models.tickets.findByKey('acme', 'tickets', 'fixable')).toMatchObject({
      revision: 0,
      state: 'new',
      parked: true,
    });
    expect(await models.tickets.findByKey('acme', 'tickets', 'other')).toMatchObject({ revision: 0 });
    expect((await service.lag()).parked).toBe(2);

    broken = null; // the fix is deployed
    expect(await service.reapplyParked()).toEqual({ reapplied: 2, still_parked: 0, streams_cleared: 1 });
    const fixed = await models.tickets.findByKey('acme', 'tickets', 'fixable');
    expect(fixed).toMatchObject({
      revision: 2,
      state: 'in_progress',
      owner_shortname: 'bob',
      owner_group_shortname: 'l2',
    });
    expect(fixed).not.toHaveProperty('parked');
    expect(await models.parked.list('fixable')).toEqual([]);
    expect((await models.tickets.counts('acme', 'state')).find((c) => c.key === 'in_progress')).toMatchObject(
      { open: 1 },
    );

    // Live events of the stream apply normally again.
    const live = await append(
      ticketStream(ticket),
      ticketProgressed('in_progress', 'done', false, { resolution_reason: 'fixed' }) as TicketEvent,
    );
    expect(await models.tickets.waitForPosition(ticket, live, 10_000)).toBe(true);
    await service.stop();
    expect(await models.tickets.findByKey('acme', 'tickets', 'fixable')).toMatchObject({
      revision: 3,
      state: 'done',
    });
  });
});
