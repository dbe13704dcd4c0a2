import { LockedEntryError, LockUnavailableError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import {
  alice,
  bob,
  later,
  meta,
  NOW,
  TICKET_KEY,
  ticketCreated,
  ticketLocked,
  ticketProgressed,
  v1Context,
} from '../testing/fixtures';
import type { Actor } from '../shared/message';
import type { TicketCommand } from './ticket.commands';
import { ticketDecider } from './ticket.decider';
import type { TicketUnlocked } from './ticket.events';
import { activeLock } from './ticket.state';

const spec = DeciderSpecification.for(ticketDecider);

const lock = (who: Actor, now = NOW, lock_period_seconds?: number): TicketCommand => ({
  type: 'LockTicket',
  data: lock_period_seconds === undefined ? {} : { lock_period_seconds },
  metadata: meta(who, now),
});
const unlock = (who: Actor, now = NOW): TicketCommand => ({ type: 'UnlockTicket', data: {}, metadata: meta(who, now) });

const created = [ticketCreated()];
const lockedByAlice = [...created, ticketLocked('alice')];

/** Every command that changes a ticket and must respect someone else's lock. */
const changes = (who: Actor, now: string): [string, TicketCommand][] => [
  ['progress', { type: 'ProgressTicket', data: { action: 'escalate', context: v1Context }, metadata: meta(who, now) }],
  ['update', { type: 'UpdateTicket', data: { attributes: { tags: ['x'] }, context: v1Context }, metadata: meta(who, now) }],
  ['patch', { type: 'PatchTicket', data: { attributes: { tags: ['x'] }, context: v1Context }, metadata: meta(who, now) }],
  ['assign', { type: 'AssignTicket', data: { owner_shortname: 'sam' }, metadata: meta(who, now) }],
  ['delete', { type: 'DeleteTicket', data: {}, metadata: meta(who, now) }],
  ['move', { type: 'MoveTicketOut', data: { to: { ...TICKET_KEY, subpath: 'archive' } }, metadata: meta(who, now) }],
];

describe('locking a ticket (TICKETS.md section 4, lock / unlock)', () => {
  describe('when the ticket is not locked', () => {
    it('locks it for the default 300 seconds', () => {
      spec.given(created).when(lock(alice)).then([ticketLocked('alice', NOW, 300)]);
    });

    it('locks it for the period given', () => {
      spec.given(created).when(lock(alice, NOW, 60)).then([ticketLocked('alice', NOW, 60)]);
    });

    it('records collaborators.processed_by = the holder', () => {
      const after = lockedByAlice.reduce(ticketDecider.evolve, ticketDecider.initialState());
      expect(after.status === 'active' && after.collaborators).toEqual({ processed_by: 'alice' });
    });

    it('refuses a period that is not a positive number with code 422', () => {
      spec.given(created).when(lock(alice, NOW, 0)).thenThrows(ValidationError, (e) => e.code === 422);
      spec.given(created).when(lock(alice, NOW, -5)).thenThrows(ValidationError);
    });

    it('refuses a command whose time is not an ISO-8601 instant', () => {
      spec.given(created).when(lock(alice, 'yesterday')).thenThrows(ValidationError);
    });
  });

  describe('when someone else holds the lock (enforced, Fix: Dmart SQL mode does not enforce)', () => {
    it.each(changes(bob, later(10)))('refuses %s with code 31', (_name, command) => {
      spec.given(lockedByAlice).when(command).thenThrows(LockedEntryError, (e) => e.code === 31 && e.message.includes("'alice'"));
    });

    it('refuses locking with code 30', () => {
      spec.given(lockedByAlice).when(lock(bob, later(10))).thenThrows(LockUnavailableError, (e) => e.code === 30);
    });

    it('refuses unlocking with code 30', () => {
      spec.given(lockedByAlice).when(unlock(bob, later(10))).thenThrows(LockUnavailableError, (e) => e.code === 30);
    });

    it('still accepts comments (a comment changes no attribute)', () => {
      const command: TicketCommand = {
        type: 'AddComment',
        data: { shortname: 'c1', uuid: 'u1', body: 'Any news?' },
        metadata: meta(bob, later(10)),
      };
      expect(ticketDecider.decide(command, lockedByAlice.reduce(ticketDecider.evolve, ticketDecider.initialState()))).toHaveLength(1);
    });
  });

  describe('when the actor holds the lock', () => {
    it.each(changes(alice, later(10)))('%s goes through', (_name, command) => {
      expect(ticketDecider.decide(command, lockedByAlice.reduce(ticketDecider.evolve, ticketDecider.initialState()))).toHaveLength(1);
    });

    it('locking again renews the lock from now', () => {
      spec.given(lockedByAlice).when(lock(alice, later(200))).then([ticketLocked('alice', later(200))]);
    });

    it('unlocks it', () => {
      const unlocked: TicketUnlocked = { type: 'TicketUnlocked', data: { holder: 'alice', at: later(10) } };
      spec.given(lockedByAlice).when(unlock(alice, later(10))).then([unlocked]);
    });

    it('after unlocking, others may change the ticket', () => {
      const unlocked: TicketUnlocked = { type: 'TicketUnlocked', data: { holder: 'alice', at: later(10) } };
      spec
        .given([...lockedByAlice, unlocked])
        .when(changes(bob, later(20))[0]![1])
        .then([ticketProgressed('escalate', 'in_progress', 'escalated', { actor: 'bob', at: later(20) })]);
    });
  });

  describe('when the lock has expired (by time, Fix: Dmart SQL mode never expires locks)', () => {
    it('a lock whose expires_at <= now is treated as absent', () => {
      const state = lockedByAlice.reduce(ticketDecider.evolve, ticketDecider.initialState());
      expect(state.status === 'active' && activeLock(state, later(299))).toEqual({ holder: 'alice', expires_at: later(300) });
      expect(state.status === 'active' && activeLock(state, later(300))).toBeNull();
    });

    it('a command time that does not parse never unlocks a ticket (fail-safe)', () => {
      spec.given(lockedByAlice).when(changes(bob, 'not-a-time')[0]![1]).thenThrows(LockedEntryError);
    });

    it('others may change the ticket again', () => {
      spec
        .given(lockedByAlice)
        .when(changes(bob, later(300))[0]![1])
        .then([ticketProgressed('escalate', 'in_progress', 'escalated', { actor: 'bob', at: later(300) })]);
    });

    it('others may lock it', () => {
      spec.given(lockedByAlice).when(lock(bob, later(301))).then([ticketLocked('bob', later(301))]);
    });
  });

  describe('unlocking a ticket with no lock in force', () => {
    it('is an accepted no-op when it was never locked', () => {
      spec.given(created).when(unlock(bob)).thenNothingHappened();
    });

    it('is an accepted no-op when the lock has expired, whoever asks', () => {
      spec.given(lockedByAlice).when(unlock(bob, later(301))).thenNothingHappened();
    });
  });

  describe('closed tickets', () => {
    it('can be locked', () => {
      spec.given([ticketCreated({ state: 'closed', is_open: false })]).when(lock(alice)).then([ticketLocked('alice')]);
    });
  });
});
