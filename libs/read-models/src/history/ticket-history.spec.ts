import { ticketView } from '@tickets/contracts';
import type { ActiveTicket, ResourceKey } from '@tickets/domain';
import { agent, TicketCommandLog } from './testing/ticket-command-log';
import { diffViews, historyRecord, historyView, ticketAsOf, ticketHistory } from './ticket-history';

/**
 * History and as-of from a ticket's events (TICKETS.md section 7), on events produced by the domain's own
 * decider from commands (pure; the same against a real event store in ticket-history.int.spec.ts).
 */
const key: ResourceKey = { space_name: 'acme', subpath: 'support', shortname: 't1' };
const alice = agent('alice');
const bob = agent('bob');

function lifeCycle(): TicketCommandLog {
  const log = new TicketCommandLog();
  log.run(key, 'CreateTicket', {
    uuid: 'u-1',
    workflow_shortname: 'support',
    tags: ['printer'],
    payload: { content_type: 'json', body: { priority: 2, details: { floor: 3 } } },
    reporter: { name: 'Rep', msisdn: '9647000' },
  }, alice, '2025-01-01T09:00:00.000Z');
  log.run(key, 'ProgressTicket', { action: 'start', comment: { shortname: 'c1', uuid: 'cu1', body: 'on it' } }, bob, '2025-01-02T09:00:00.000Z');
  log.run(key, 'PatchTicket', { attributes: { tags: ['printer', 'urgent'], payload: { body: { priority: 1 } } } }, bob, '2025-01-03T09:00:00.000Z');
  log.run(key, 'AssignTicket', { owner_shortname: 'bob', owner_group_shortname: 'l2' }, alice, '2025-01-04T09:00:00.000Z');
  log.run(key, 'LockTicket', {}, bob, '2025-01-05T09:00:00.000Z');
  log.run(key, 'UnlockTicket', {}, bob, '2025-01-05T09:01:00.000Z');
  log.run(key, 'ProgressTicket', { action: 'resolve', resolution: 'fixed' }, bob, '2025-01-06T09:00:00.000Z');
  log.run(key, 'DeleteTicket', {}, alice, '2025-01-07T09:00:00.000Z');
  return log;
}

describe('ticketHistory', () => {
  const log = lifeCycle();
  const history = ticketHistory(log.events);

  it('has one entry per event, oldest first, with actor, business time and position', () => {
    expect(history.map((h) => [h.event_type, h.actor, h.timestamp, h.revision])).toEqual([
      ['TicketCreated', 'alice', '2025-01-01T09:00:00.000Z', 0],
      ['TicketProgressed', 'bob', '2025-01-02T09:00:00.000Z', 1],
      ['TicketUpdated', 'bob', '2025-01-03T09:00:00.000Z', 2],
      ['TicketAssigned', 'alice', '2025-01-04T09:00:00.000Z', 3],
      ['TicketLocked', 'bob', '2025-01-05T09:00:00.000Z', 4],
      ['TicketUnlocked', 'bob', '2025-01-05T09:01:00.000Z', 5],
      ['TicketProgressed', 'bob', '2025-01-06T09:00:00.000Z', 6],
      ['TicketDeleted', 'alice', '2025-01-07T09:00:00.000Z', 7],
    ]);
    expect(history.map((h) => h.position)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('shows the creation as every attribute going from null to its value', () => {
    expect(history[0].diff).toMatchObject({
      state: { old: null, new: 'new' },
      is_open: { old: null, new: true },
      'payload.body.priority': { old: null, new: 2 },
      'payload.body.details.floor': { old: null, new: 3 },
      'reporter.msisdn': { old: null, new: '9647000' },
      tags: { old: null, new: ['printer'] },
      owner_shortname: { old: null, new: 'alice' },
    });
  });

  it('shows a progress as state, collaborator and comment changes', () => {
    expect(history[1].diff).toEqual({
      state: { old: 'new', new: 'in_progress' },
      'collaborators.start': { old: null, new: 'bob' },
      comments: { old: null, new: [{ shortname: 'c1', uuid: 'cu1', body: 'on it', author: 'bob', created_at: '2025-01-02T09:00:00.000Z', state: 'in_progress' }] },
      updated_at: { old: '2025-01-01T09:00:00.000Z', new: '2025-01-02T09:00:00.000Z' },
    });
  });

  it('shows only added and removed items of arrays, and flattened payload paths (Dmart)', () => {
    expect(history[2].diff).toEqual({
      tags: { old: [], new: ['urgent'] },
      'payload.body.priority': { old: 2, new: 1 },
      updated_at: { old: '2025-01-02T09:00:00.000Z', new: '2025-01-03T09:00:00.000Z' },
    });
  });

  it('shows assignment, lock, unlock and resolution', () => {
    expect(history[3].diff).toMatchObject({ owner_shortname: { old: 'alice', new: 'bob' }, owner_group_shortname: { old: null, new: 'l2' } });
    expect(history[4].diff).toEqual({
      'collaborators.processed_by': { old: null, new: 'bob' },
      'lock.holder': { old: null, new: 'bob' },
      'lock.expires_at': { old: null, new: '2025-01-05T09:05:00.000Z' },
    });
    expect(history[5].diff).toEqual({ 'lock.holder': { old: 'bob', new: null }, 'lock.expires_at': { old: '2025-01-05T09:05:00.000Z', new: null } });
    expect(history[6].diff).toMatchObject({
      state: { old: 'in_progress', new: 'resolved' },
      resolution_reason: { old: null, new: 'fixed' },
      'collaborators.resolve': { old: null, new: 'bob' },
    });
  });

  it('shows a delete as every attribute going to null', () => {
    expect(history[7].diff).toMatchObject({ state: { old: 'resolved', new: null }, uuid: { old: 'u-1', new: null } });
    expect(Object.values(history[7].diff).every((change) => change.new === null)).toBe(true);
  });

  it('skips events of types it does not know', () => {
    const odd = { ...log.events[1], type: 'SomethingElse' };
    expect(ticketHistory([log.events[0], odd]).map((h) => h.event_type)).toEqual(['TicketCreated']);
  });

  it('becomes Dmart history records', () => {
    expect(historyRecord(history[3], key)).toEqual({
      resource_type: 'history',
      uuid: log.events[3].id,
      shortname: 't1',
      subpath: 'support',
      attributes: {
        owner_shortname: 'alice',
        actor: 'alice',
        timestamp: '2025-01-04T09:00:00.000Z',
        diff: history[3].diff,
        space_name: 'acme',
        event_type: 'TicketAssigned',
        revision: 3,
        position: '4',
        correlation_id: history[3].correlation_id,
      },
    });
  });
});

describe('ticketAsOf', () => {
  const log = lifeCycle();

  it('folds the events up to a position', () => {
    const asOf = ticketAsOf(log.events, { position: 4n });
    expect(asOf).toMatchObject({ revision: 3, position: '4', at: '2025-01-04T09:00:00.000Z' });
    expect(asOf?.state).toMatchObject({ status: 'active', state: 'in_progress', owner_shortname: 'bob', tags: ['printer', 'urgent'] });
  });

  it('folds the events up to an instant (business time, inclusive)', () => {
    expect(ticketAsOf(log.events, { as_of: new Date('2025-01-02T09:00:00.000Z') })?.state).toMatchObject({ state: 'in_progress' });
    expect(ticketAsOf(log.events, { as_of: new Date('2025-01-02T08:59:59.999Z') })?.state).toMatchObject({ state: 'new' });
    expect(ticketAsOf(log.events, { as_of: new Date('2030-01-01T00:00:00Z') })?.state).toEqual({ status: 'deleted' });
  });

  it('is null before the first event', () => {
    expect(ticketAsOf(log.events, { as_of: new Date('2024-12-31T00:00:00Z') })).toBeNull();
    expect(ticketAsOf(log.events, { position: 0n })).toBeNull();
  });

  it('agrees with the history at every step: the last diff leads to the as-of view', () => {
    const history = ticketHistory(log.events);
    log.events.forEach((event, i) => {
      const before = i === 0 ? {} : historyView(ticketAsOf(log.events, { position: log.events[i - 1].position })!.state);
      const after = historyView(ticketAsOf(log.events, { position: event.position })!.state);
      expect(diffViews(before, after)).toEqual(history[i].diff);
    });
  });

  it('gives the ticket view the entry endpoint would have shown then', () => {
    const state = ticketAsOf(log.events, { position: 3n })!.state as ActiveTicket;
    expect(ticketView(state)).toMatchObject({ state: 'in_progress', payload: { body: { priority: 1, details: { floor: 3 } } } });
  });
});
