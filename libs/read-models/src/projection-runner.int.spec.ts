import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '@tickets/config';
import type { ResourceKey, TicketEvent } from '@tickets/domain';
import { createEventStore, type EventStore, type NewEvent } from '@tickets/event-store';
import type { RunnerOutcome } from './projection';
import { ProjectionRunner } from './projection-runner';
import { ReadModels } from './read-models';
import { openTestDatabase, type TestDatabase } from './testing/mongo-test-db';
import { ticketAssigned, ticketCreated, ticketProgressed, ticketStream, workflowDefined } from './testing/recorded-events';

/**
 * The one projection runner between the real PostgreSQL event store (a schema of its own) and the real
 * MongoDB-compatible server (a database of its own): checkpoints, restart from a checkpoint, replay, lag.
 */
// Servers shared with other test runs can be slow; the project's `testTimeout` does not reach hooks.
jest.setTimeout(60_000);

describe('projection runner (PostgreSQL event store -> MongoDB read models)', () => {
  const config = loadConfig();
  const schema = `es_test_${randomBytes(5).toString('hex')}`;
  let store: EventStore;
  let db: TestDatabase;
  let models: ReadModels;
  const quiet = { log: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };

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
  /** Appends `event` to `stream` at the next revision; resolves its global position. */
  const append = async (stream: string, event: { type: string; data: object }): Promise<bigint> => {
    const expected = revisions.has(stream) ? (revisions.get(stream) as bigint) : 'no_stream';
    const newEvent: NewEvent = {
      id: randomUUID(),
      type: event.type,
      data: event.data as Record<string, unknown>,
      metadata: { command_id: randomUUID(), correlation_id: randomUUID(), causation_id: randomUUID(), actor: 'tester', occurred_at: new Date().toISOString() },
    };
    const result = await store.append(stream, [newEvent], expected);
    revisions.set(stream, expected === 'no_stream' ? 0n : expected + 1n);
    return result.position;
  };

  const runner = (name: string, outcomes: RunnerOutcome[] = []) =>
    new ProjectionRunner({
      name,
      store,
      projections: models.projections(),
      checkpoints: models.checkpoints,
      checkpointEvery: 3,
      checkpointIntervalMs: 50,
      logger: quiet,
      onApplied: (_projection, outcome) => outcomes.push(outcome),
    });

  const t1: ResourceKey = { space_name: 'acme', subpath: 'tickets', shortname: 't1' };
  const t2: ResourceKey = { space_name: 'acme', subpath: 'tickets', shortname: 't2' };

  it('projects from the start, stores its checkpoint, resumes from it, and replays as no-ops', async () => {
    await append('workflow-acme/support', workflowDefined('acme', 'support', 1));
    await append(ticketStream(t1), ticketCreated(t1));
    await append(ticketStream(t2), ticketCreated(t2));
    await append('command-xyz', { type: 'CommandRejected', data: { reason: 'test' } });
    let head = await append(ticketStream(t1), ticketProgressed('new', 'in_progress', true) as TicketEvent);

    // 1. From the start.
    const first = runner('tickets');
    await first.start();
    expect(await first.waitForPosition(head, 10_000)).toBe(true);
    await first.stop();
    expect(await models.checkpoints.load('tickets')).toBe(head);
    expect(await models.tickets.findByKey('acme', 'tickets', 't1')).toMatchObject({ state: 'in_progress', revision: 1, last_position: Number(head) });
    expect(await models.workflows.findByKey('acme', 'support')).toMatchObject({ version: 1, revision: 0 });

    // 2. Events arrive while it is stopped: the lag shows them.
    await append(ticketStream(t2), ticketAssigned('bob', 'l2'));
    await append('workflow-acme/support', workflowDefined('acme', 'support', 2));
    head = await append(ticketStream(t1), ticketProgressed('in_progress', 'done', false, { resolution_reason: 'fixed' }) as TicketEvent);
    const stopped = await first.lag();
    expect(stopped).toMatchObject({ running: false, position: head - 3n, head_position: head, behind: 3, behind_capped: false, stalled: false });
    expect(stopped.lag_ms).toBeGreaterThanOrEqual(0);

    // 3. A new runner resumes from the stored checkpoint: it processes only the 3 new events.
    const outcomes: RunnerOutcome[] = [];
    const second = runner('tickets', outcomes);
    await second.start();
    expect(second.status().saved_position).toBe(head - 3n);
    expect(await second.waitForPosition(head, 10_000)).toBe(true);
    const caughtUp = await second.lag();
    expect(caughtUp).toMatchObject({ running: true, position: head, head_position: head, behind: 0, lag_ms: 0, stalled: false });
    expect(caughtUp.ms_since_last_event).not.toBeNull();
    await second.stop();
    expect(second.status().events_processed).toBe(3);
    expect(outcomes).toEqual(['applied', 'applied', 'applied']);
    expect(await models.checkpoints.load('tickets')).toBe(head);
    expect(await models.tickets.findByKey('acme', 'tickets', 't1')).toMatchObject({ state: 'done', is_open: false, resolution_reason: 'fixed' });
    expect(await models.tickets.findByKey('acme', 'tickets', 't2')).toMatchObject({ owner_shortname: 'bob', owner_group_shortname: 'l2' });
    expect(await models.workflows.findByKey('acme', 'support')).toMatchObject({ version: 2, revision: 1 });

    // 4. A runner under another name replays the whole log over the same read models: nothing changes.
    const before = await models.tickets.model.collection.find({}).sort({ _id: 1 }).toArray();
    const counters = await models.tickets.counters.collection.find({}).sort({ _id: 1 }).toArray();
    const replayOutcomes: RunnerOutcome[] = [];
    const replay = runner('replay', replayOutcomes);
    await replay.start();
    expect(await replay.waitForPosition(head, 10_000)).toBe(true);
    await replay.stop();
    expect(replayOutcomes.every((o) => o === 'duplicate')).toBe(true);
    expect(replayOutcomes).toHaveLength(7);
    expect(await models.tickets.model.collection.find({}).sort({ _id: 1 }).toArray()).toEqual(before);
    expect(await models.tickets.counters.collection.find({}).sort({ _id: 1 }).toArray()).toEqual(counters);
  });

  it('follows live appends once caught up', async () => {
    const live = runner('live');
    await live.start();
    const t3 = { ...t1, shortname: 't3' };
    const position = await append(ticketStream(t3), ticketCreated(t3));
    expect(await live.waitForPosition(position, 10_000)).toBe(true);
    expect(await models.tickets.waitForPosition(t3, position, 1000)).toBe(true);
    await live.stop();
    expect(await models.checkpoints.load('live')).toBe(position);
  });
});
