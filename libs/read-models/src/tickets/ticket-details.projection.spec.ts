import type { TicketEvent } from '@tickets/domain';
import { EventLog, ticketAssigned, ticketCreated, ticketProgressed, ticketStream } from '../testing/recorded-events';
import { countedFactsAfter, ticketDocumentId, ticketKeyOf, ticketWriteFor } from './ticket-details.projection';
import { countedFactsOf } from './ticket-counters';

const key = { space_name: 'acme', subpath: 'support/l1', shortname: 't1' };
const stream = ticketStream(key);

/** Records `events` on the ticket's stream and returns the write of the last one. */
function writeOf(...events: TicketEvent[]) {
  const log = new EventLog();
  const recorded = events.map((e, i) => log.record(stream, e, `2025-01-0${i + 1}T00:00:00.000Z`));
  return { event: recorded[recorded.length - 1], write: ticketWriteFor(recorded[recorded.length - 1]) };
}

describe('ticket details projection: event -> write', () => {
  describe('ticket stream ids', () => {
    it('maps a multi-level subpath', () => {
      expect(ticketKeyOf('ticket-acme/a/b/t1')).toEqual({ space_name: 'acme', subpath: 'a/b', shortname: 't1' });
      expect(ticketDocumentId('ticket-acme/a/b/t1')).toBe('acme/a/b/t1');
    });
    it('maps an empty subpath', () => expect(ticketDocumentId('ticket-acme//t1')).toBe('acme/t1'));
    it('refuses another category', () => expect(() => ticketKeyOf('workflow-acme/w')).toThrow(RangeError));
  });

  describe('TicketCreated', () => {
    it('inserts the whole document at revision 0 with dates, guard fields and encoded user data', () => {
      const { write } = writeOf(
        ticketCreated(key, {
          collaborators: { 'x.y': 'carol' },
          payload: { content_type: 'json', body: { 'a.b': 1, $c: [[1]] } },
        }),
      );
      expect(write.kind).toBe('insert');
      if (write.kind === 'update') throw new Error('unreachable');
      expect(write.document).toMatchObject({
        _id: 'acme/support/l1/t1',
        space_name: 'acme',
        subpath: 'support/l1',
        shortname: 't1',
        state: 'new',
        is_open: true,
        collaborators: { 'x%2Ey': 'carol' },
        payload: { content_type: 'json', body: { 'a%2Eb': 1, '%24c': [{ '%list': [1] }] } },
        owner_group_shortname: null,
        resolution_reason: null,
        lock: null,
        comments: [],
        assignment_history: [],
        created_at: new Date('2025-01-01T00:00:00.000Z'),
        updated_at: new Date('2025-01-01T00:00:00.000Z'),
        revision: 0,
        last_position: 1,
        deleted: false,
        moved_to: null,
      });
      expect(write.document).not.toHaveProperty('description');
    });
  });

  describe('TicketProgressed', () => {
    it('clears closed_at when a transition reopens the ticket', () => {
      const { write } = writeOf(
        ticketCreated(key),
        ticketProgressed('done', 'new', true, { action: 'reopen', actor: 'bob', resolution_reason: null }),
      );
      expect(write.kind === 'update' && (write.update.$set as Record<string, unknown>)['closed_at']).toBeNull();
    });

    it('sets state, is_open, resolution and the collaborator of the action, and appends the comment', () => {
      const { write } = writeOf(
        ticketCreated(key),
        ticketProgressed('new', 'done', false, { action: 'close.it', actor: 'bob', resolution_reason: 'fixed', comment: 'bye' }),
      );
      expect(write).toEqual({
        kind: 'update',
        update: {
          $set: {
            state: 'done',
            is_open: false,
            closed_at: new Date('2025-01-02T00:00:00.000Z'),
            resolution_reason: 'fixed',
            'collaborators.close%2Eit': 'bob',
            updated_at: new Date('2025-01-02T00:00:00.000Z'),
            revision: 1,
            last_position: 2,
          },
          $push: {
            comments: {
              shortname: 'c_done',
              uuid: 'uuid-c-done',
              body: 'bye',
              author: 'bob',
              created_at: new Date('2025-01-02T00:00:00.000Z'),
              state: 'done',
            },
          },
        },
      });
    });
  });

  describe('TicketUpdated', () => {
    it('replaces set attributes, removes unset ones and ignores attributes update may not change', () => {
      const { write } = writeOf(ticketCreated(key), {
        type: 'TicketUpdated',
        data: {
          set: { tags: ['a'], payload: { content_type: 'json', body: { 'k.1': null } }, state: 'hacked' } as never,
          unset: ['description', 'reporter'],
          at: '2025-01-02T00:00:00.000Z',
        },
      });
      expect(write.kind === 'update' && write.update).toEqual({
        $set: {
          tags: ['a'],
          payload: { content_type: 'json', body: { 'k%2E1': null } },
          updated_at: new Date('2025-01-02T00:00:00.000Z'),
          revision: 1,
          last_position: 2,
        },
        $unset: { description: '', reporter: '' },
      });
    });
  });

  describe('TicketAssigned', () => {
    it('sets the owner and team and appends to the history', () => {
      const { write } = writeOf(ticketCreated(key), ticketAssigned('bob', 'l2'));
      expect(write.kind === 'update' && write.update).toMatchObject({
        $set: { owner_shortname: 'bob', owner_group_shortname: 'l2' },
        $push: { assignment_history: { owner_shortname: 'bob', owner_group_shortname: 'l2', by: 'admin' } },
      });
    });
  });

  describe('TicketLocked / TicketUnlocked', () => {
    it('records the lock and collaborators.processed_by, then clears the lock', () => {
      const locked = writeOf(ticketCreated(key), {
        type: 'TicketLocked',
        data: { holder: 'bob', expires_at: '2025-01-02T00:05:00.000Z', at: '2025-01-02T00:00:00.000Z' },
      }).write;
      expect(locked.kind === 'update' && locked.update.$set).toEqual({
        lock: { holder: 'bob', expires_at: new Date('2025-01-02T00:05:00.000Z') },
        'collaborators.processed_by': 'bob',
        revision: 1,
        last_position: 2,
      });
      const unlocked = writeOf(ticketCreated(key), { type: 'TicketUnlocked', data: { holder: 'bob', at: '2025-01-02T00:00:00.000Z' } }).write;
      expect(unlocked.kind === 'update' && unlocked.update.$set).toMatchObject({ lock: null });
    });
  });

  describe('TicketDeleted and TicketMovedOut', () => {
    it('mark the document deleted (kept for audit) and uncount it', () => {
      const deleted = writeOf(ticketCreated(key), { type: 'TicketDeleted', data: { by: 'admin', at: '2025-01-02T00:00:00.000Z' } }).write;
      expect(deleted.kind === 'update' && deleted.update.$set).toMatchObject({ deleted: true });
      const moved = writeOf(ticketCreated(key), {
        type: 'TicketMovedOut',
        data: { to: { space_name: 'acme', subpath: '/archive/', shortname: 't9' }, at: '2025-01-02T00:00:00.000Z' },
      }).write;
      expect(moved.kind === 'update' && moved.update.$set).toMatchObject({ deleted: true, moved_to: 'acme/archive/t9' });
      const created = ticketWriteFor(new EventLog().record(stream, ticketCreated(key)));
      const facts = created.kind === 'update' ? null : countedFactsOf(created.document);
      expect(facts).not.toBeNull();
      expect(countedFactsAfter(facts, moved)).toBeNull();
    });
  });

  describe('TicketMovedIn', () => {
    it('inserts the destination document from the snapshot, keyed by its own stream', () => {
      const dest = { space_name: 'acme', subpath: 'archive', shortname: 't9' };
      const created = ticketCreated(key).data as Record<string, unknown>;
      const event = new EventLog().record(ticketStream(dest), {
        type: 'TicketMovedIn',
        data: {
          from: key,
          snapshot: {
            ...created,
            state: 'done',
            is_open: false,
            resolution_reason: 'fixed',
            comments: [],
            lock: null,
            updated_at: '2025-01-04T00:00:00.000Z',
            assignments: [{ owner_shortname: 'bob', previous_owner_shortname: 'alice', by: 'x', at: '2025-01-03T00:00:00.000Z' }],
          },
          at: '2025-01-05T00:00:00.000Z',
        },
      });
      const write = ticketWriteFor(event);
      expect(write.kind).toBe('insert');
      expect(write.kind !== 'update' && write.document).toMatchObject({
        _id: 'acme/archive/t9',
        subpath: 'archive',
        shortname: 't9',
        state: 'done',
        resolution_reason: 'fixed',
        updated_at: new Date('2025-01-04T00:00:00.000Z'),
        assignment_history: [{ owner_shortname: 'bob', owner_group_shortname: null, by: 'x', at: new Date('2025-01-03T00:00:00.000Z') }],
      });
    });
  });

  describe('an event type the projection does not know', () => {
    it('only advances revision and position, so the guard keeps matching', () => {
      const log = new EventLog();
      log.record(stream, ticketCreated(key));
      const write = ticketWriteFor(log.record(stream, { type: 'TicketFrobbed', data: {} }));
      expect(write).toEqual({ kind: 'update', update: { $set: { revision: 1, last_position: 2 } } });
    });
  });

  describe('counted facts', () => {
    it('follow progress and assignment, keep space and workflow', () => {
      const before = { space_name: 'acme', state: 'new', is_open: true, owner_shortname: 'alice', owner_group_shortname: null, workflow_shortname: 'support' };
      const progressed = writeOf(ticketCreated(key), ticketProgressed('new', 'done', false)).write;
      expect(countedFactsAfter(before, progressed)).toEqual({ ...before, state: 'done', is_open: false });
      const assigned = writeOf(ticketCreated(key), ticketAssigned('bob')).write;
      expect(countedFactsAfter(before, assigned)).toEqual({ ...before, owner_shortname: 'bob' });
    });
  });
});
