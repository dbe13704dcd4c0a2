import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { ticketEventV1Schema } from '@tickets/contracts';
import type { TicketEvent } from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';
import { EventLog, ticketAssigned, ticketCreated, ticketProgressed, ticketStream } from '../testing/recorded-events';
import { TicketFactsTracker } from './ticket-facts.tracker';
import { integrationEventMessage } from './ticket-integration-events.projection';
import { nextTicketFacts, ticketIntegrationEvent, type TicketIntegrationEvent } from './ticket-integration-event';

const key = { space_name: 'acme', subpath: 'support', shortname: 't1' };
const stream = ticketStream(key);
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(ticketEventV1Schema);

/** The public events of `events` on the ticket's stream, folding the facts as the publisher does. */
function publicEvents(...events: TicketEvent[]): TicketIntegrationEvent[] {
  const log = new EventLog();
  let facts = null as ReturnType<typeof nextTicketFacts>;
  return events.map((e, i) => {
    const recorded = log.record(stream, e, `2025-01-0${i + 1}T00:00:00.000Z`);
    const after = nextTicketFacts(facts, recorded);
    const published = ticketIntegrationEvent(recorded, facts, after);
    facts = after;
    return published;
  });
}

function expectValid(event: TicketIntegrationEvent): void {
  // Through JSON, as a consumer receives it.
  const ok = validate(JSON.parse(integrationEventMessage(event).value));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

describe('public ticket events (tickets.events.v1)', () => {
  describe('when a ticket is created', () => {
    const [created] = publicEvents(ticketCreated(key));

    it('carries the event id, the key, the position and the new ticket', () => {
      expect(created).toMatchObject({
        schema_version: 1,
        event_id: '00000000-0000-4000-8000-000000000001',
        event_type: 'TicketCreated',
        ticket_path: 'acme/support/t1',
        space_name: 'acme',
        subpath: 'support',
        shortname: 't1',
        revision: 0,
        position: '1',
        occurred_at: '2025-01-01T00:00:00.000Z',
        actor: 'tester',
        command_id: 'cmd-1',
        previous: null,
        ticket: { state: 'new', is_open: true, owner_shortname: 'alice', owner_group_shortname: null, workflow_shortname: 'support' },
        change: { uuid: 'uuid-t1', state: 'new', tags: ['vip'], payload: { content_type: 'json', body: { msg: 'hello' } } },
      });
    });

    it('counts the ticket once per dimension', () => {
      expect(created.counter_deltas).toEqual(
        expect.arrayContaining([
          { dimension: 'all', key: '*', open: 1, closed: 0 },
          { dimension: 'state', key: 'new', open: 1, closed: 0 },
          { dimension: 'owner', key: 'alice', open: 1, closed: 0 },
          { dimension: 'workflow', key: 'support', open: 1, closed: 0 },
        ]),
      );
      expect(created.counter_deltas).toHaveLength(4);
    });

    it('matches the published JSON Schema', () => expectValid(created));
    it('is keyed by the ticket path, with the event id in a header', () => {
      expect(integrationEventMessage(created)).toMatchObject({
        key: 'acme/support/t1',
        headers: { 'x-event-id': created.event_id, 'x-event-type': 'TicketCreated', 'x-schema': 'ticket-event.v1' },
      });
    });
  });

  describe('when a ticket progresses to a closed state', () => {
    const [, , closed] = publicEvents(
      ticketCreated(key),
      ticketAssigned('bob', 'l2'),
      ticketProgressed('new', 'done', false, { resolution_reason: 'fixed', comment: 'done it' }) as TicketEvent,
    );

    it('moves the ticket from open to closed in every counter it is in', () => {
      expect(closed.previous).toMatchObject({ state: 'new', is_open: true, owner_shortname: 'bob', owner_group_shortname: 'l2' });
      expect(closed.ticket).toMatchObject({ state: 'done', is_open: false });
      expect(closed.counter_deltas).toEqual(
        expect.arrayContaining([
          { dimension: 'all', key: '*', open: -1, closed: 1 },
          { dimension: 'state', key: 'new', open: -1, closed: 0 },
          { dimension: 'state', key: 'done', open: 0, closed: 1 },
          { dimension: 'owner', key: 'bob', open: -1, closed: 1 },
          { dimension: 'group', key: 'l2', open: -1, closed: 1 },
        ]),
      );
      expect(closed.change).toMatchObject({ action: 'to_done', from_state: 'new', state: 'done', resolution_reason: 'fixed', comment: { body: 'done it' } });
      expectValid(closed);
    });
  });

  describe('when a ticket is deleted', () => {
    const [, deleted, after] = publicEvents(
      ticketCreated(key),
      { type: 'TicketDeleted', data: { by: 'admin', at: '2025-01-02T00:00:00.000Z' } },
      ticketAssigned('carol'),
    );

    it('takes it out of the counters and reports it as not live', () => {
      expect(deleted.ticket).toBeNull();
      expect(deleted.counter_deltas).toEqual(expect.arrayContaining([{ dimension: 'all', key: '*', open: -1, closed: 0 }]));
      expectValid(deleted);
    });
    it('publishes later events of the dead stream without counting them', () => {
      expect(after).toMatchObject({ event_type: 'TicketAssigned', previous: null, ticket: null, counter_deltas: [] });
      expectValid(after);
    });
  });

  it('describes every known event type in the schema', () => {
    const events = publicEvents(
      ticketCreated(key),
      { type: 'TicketUpdated', data: { set: { tags: ['a'], description: { en: 'd' } }, unset: ['reporter'], at: '2025-01-02T00:00:00.000Z' } },
      { type: 'TicketLocked', data: { holder: 'bob', expires_at: '2025-01-03T00:05:00.000Z', at: '2025-01-03T00:00:00.000Z' } },
      { type: 'TicketUnlocked', data: { holder: 'bob', at: '2025-01-04T00:00:00.000Z' } },
      {
        type: 'CommentAdded',
        data: { comment: { shortname: 'c1', uuid: 'u1', body: 'hi', author: 'bob', created_at: '2025-01-05T00:00:00.000Z', state: 'new' } },
      },
      { type: 'TicketMovedOut', data: { to: { space_name: 'acme', subpath: '/archive/', shortname: 't9' }, at: '2025-01-06T00:00:00.000Z' } },
    );
    for (const event of events) expectValid(event);
    expect(events[1].change).toEqual({ set: { tags: ['a'], description: { en: 'd' } }, unset: ['reporter'], at: '2025-01-02T00:00:00.000Z' });
    expect(events[5].change).toEqual({ to: 'acme/archive/t9', at: '2025-01-06T00:00:00.000Z' });
  });

  it('refuses a schema-less shape (the schema is strict about the envelope)', () => {
    expect(validate({ schema_version: 2 })).toBe(false);
  });
});

describe('ticket facts tracker', () => {
  const log = new EventLog();
  const events = [
    log.record(stream, ticketCreated(key)),
    log.record(stream, ticketAssigned('bob')),
    log.record(stream, ticketProgressed('new', 'done', false) as TicketEvent),
  ];
  const store = (reads: string[]) => ({
    readStream: async (id: string, options?: { max_count?: number }): Promise<RecordedEvent[]> => {
      reads.push(`${id}:${options?.max_count}`);
      return events.slice(0, options?.max_count);
    },
  });

  it('folds in memory while events come in order', async () => {
    const reads: string[] = [];
    const tracker = new TicketFactsTracker(store(reads));
    for (const event of events) await tracker.transition(event);
    expect(reads).toEqual([]);
  });

  it('reads the stream up to the event when it starts in the middle (after a restart)', async () => {
    const reads: string[] = [];
    const tracker = new TicketFactsTracker(store(reads));
    const { before, after } = await tracker.transition(events[2]);
    expect(reads).toEqual([`${stream}:2`]);
    expect(before).toMatchObject({ owner_shortname: 'bob', is_open: true });
    expect(after).toMatchObject({ owner_shortname: 'bob', is_open: false, state: 'done' });
  });
});
