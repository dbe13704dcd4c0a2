import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { streamIds, ticketView } from '@tickets/contracts';
import type { ActiveTicket, ResourceKey } from '@tickets/domain';
import { PostgresEventStore, type RecordedEvent } from '@tickets/event-store';
import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import { TicketsReadModel } from '../tickets/tickets.read-model';
import { agent, TicketCommandLog } from './testing/ticket-command-log';
import { historyView, ticketAsOf, ticketHistory } from './ticket-history';

/**
 * History and as-of against a real event store (PostgreSQL of deploy/local, a fresh schema per run) and the
 * real read model (FerretDB v1): events decided from commands are appended with their expected revisions, read
 * back with `readStream`, and folded. The folded state at the last position must be what the projection wrote,
 * and every as-of must agree with the history's diffs.
 */
jest.setTimeout(120_000);

const connectionString = process.env.POSTGRES_URL ?? 'postgres://tickets:tickets@127.0.0.1:5433/tickets';
const alice = agent('alice');
const bob = agent('bob');
const key: ResourceKey = { space_name: 'acme', subpath: 'support', shortname: 'h1' };
const other: ResourceKey = { space_name: 'acme', subpath: 'support', shortname: 'h2' };

describe('ticket history from a real event store', () => {
  const schema = `es_hist_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let store: PostgresEventStore;
  let db: TestDatabase;
  let tickets: TicketsReadModel;
  let stored: RecordedEvent[];
  const log = new TicketCommandLog();

  beforeAll(async () => {
    store = new PostgresEventStore({ connectionString, schema });
    await store.migrate();
    db = await openTestDatabase();
    tickets = new TicketsReadModel(db.connection);
    await tickets.ensureIndexes();

    const steps: [ResourceKey, Parameters<TicketCommandLog['run']>[1], Record<string, unknown>, string][] = [
      [key, 'CreateTicket', { uuid: 'u-h1', workflow_shortname: 'support', payload: { content_type: 'json', body: { priority: 3 } } }, '2025-02-01T08:00:00.000Z'],
      [other, 'CreateTicket', { uuid: 'u-h2', workflow_shortname: 'support' }, '2025-02-01T08:30:00.000Z'],
      [key, 'ProgressTicket', { action: 'start' }, '2025-02-01T09:00:00.000Z'],
      [other, 'ProgressTicket', { action: 'reject' }, '2025-02-01T09:30:00.000Z'],
      [key, 'PatchTicket', { attributes: { payload: { body: { priority: 1, note: 'vip' } }, tags: ['escalated'] } }, '2025-02-02T09:00:00.000Z'],
      [key, 'AssignTicket', { owner_shortname: 'bob', owner_group_shortname: 'l2' }, '2025-02-03T09:00:00.000Z'],
      [key, 'AddComment', { shortname: 'c1', uuid: 'cu1', body: 'looking' }, '2025-02-03T10:00:00.000Z'],
      [key, 'ProgressTicket', { action: 'resolve', resolution: 'fixed' }, '2025-02-04T09:00:00.000Z'],
      [key, 'ProgressTicket', { action: 'reopen' }, '2025-02-05T09:00:00.000Z'],
    ];
    for (const [k, type, data, now] of steps) {
      const events = log.run(k, type, data, type === 'AssignTicket' ? alice : bob, now);
      const first = events[0].revision;
      await store.append(
        streamIds.ticket(k),
        events.map(({ id, type: t, data: d, metadata }) => ({ id, type: t, data: d, metadata })),
        first === 0n ? 'no_stream' : first - 1n,
      );
    }
    stored = await store.readStream(streamIds.ticket(key));
    const projection = tickets.projection();
    for (const event of await store.readAll()) await projection.apply(event);
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
    const client = new Client({ connectionString });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('reads back the ticket stream only, in revision order', () => {
    expect(stored.map((e) => [e.type, e.revision])).toEqual([
      ['TicketCreated', 0n],
      ['TicketProgressed', 1n],
      ['TicketUpdated', 2n],
      ['TicketAssigned', 3n],
      ['CommentAdded', 4n],
      ['TicketProgressed', 5n],
      ['TicketProgressed', 6n],
    ]);
  });

  it('serves the history with the store positions, actors, business times and diffs', () => {
    const history = ticketHistory(stored);
    expect(history.map((h) => [h.actor, h.timestamp])).toEqual([
      ['bob', '2025-02-01T08:00:00.000Z'],
      ['bob', '2025-02-01T09:00:00.000Z'],
      ['bob', '2025-02-02T09:00:00.000Z'],
      ['alice', '2025-02-03T09:00:00.000Z'],
      ['bob', '2025-02-03T10:00:00.000Z'],
      ['bob', '2025-02-04T09:00:00.000Z'],
      ['bob', '2025-02-05T09:00:00.000Z'],
    ]);
    expect(history.map((h) => h.position)).toEqual(stored.map((e) => e.position.toString()));
    expect(history[2].diff).toMatchObject({
      'payload.body.priority': { old: 3, new: 1 },
      'payload.body.note': { old: null, new: 'vip' },
      tags: { old: [], new: ['escalated'] },
    });
    expect(history[5].diff).toMatchObject({ state: { old: 'in_progress', new: 'resolved' }, resolution_reason: { old: null, new: 'fixed' } });
    expect(history[6].diff).toMatchObject({ state: { old: 'resolved', new: 'in_progress' }, resolution_reason: { old: 'fixed', new: null } });
    // The same diffs as the history of the events before they were stored.
    expect(history.map((h) => h.diff)).toEqual(ticketHistory(log.events.filter((e) => e.stream_id === streamIds.ticket(key))).map((h) => h.diff));
  });

  it('folds to exactly what the projection wrote at the last position', async () => {
    const last = stored[stored.length - 1];
    const asOf = ticketAsOf(stored, { position: last.position });
    const doc = await tickets.findByKey(key.space_name, key.subpath, key.shortname);
    expect(doc?.last_position).toBe(Number(last.position));
    expect(ticketView(asOf!.state as ActiveTicket)).toEqual(ticketView(doc!));
  });

  it('reads the ticket at any past time or position, consistently with the history', () => {
    const history = ticketHistory(stored);
    let before: Record<string, unknown> = {};
    for (const [i, event] of stored.entries()) {
      const byPosition = ticketAsOf(stored, { position: event.position })!;
      const byTime = ticketAsOf(stored, { as_of: new Date(history[i].timestamp) })!;
      expect(byTime).toEqual(byPosition);
      const view = historyView(byPosition.state);
      expect(history[i].diff).toEqual(expectDiff(before, view));
      before = view;
    }
    // Between two events: the earlier one; a position of another stream in between: the same.
    expect(ticketAsOf(stored, { as_of: new Date('2025-02-02T08:59:59.000Z') })?.state).toMatchObject({ state: 'in_progress', tags: [] });
    expect(ticketAsOf(stored, { position: stored[1].position + 1n })?.revision).toBe(1);
  });
});

/** The diff `ticketHistory` must report between two views (recomputed independently of `diffViews`). */
function expectDiff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { old: unknown; new: unknown }> {
  const out: Record<string, { old: unknown; new: unknown }> = {};
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = k in before ? before[k] : null;
    const b = k in after ? after[k] : null;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    out[k] =
      Array.isArray(a) && Array.isArray(b)
        ? { old: a.filter((x) => !b.some((y) => JSON.stringify(x) === JSON.stringify(y))), new: b.filter((y) => !a.some((x) => JSON.stringify(x) === JSON.stringify(y))) }
        : { old: a, new: b };
  }
  return out;
}
