import { AlreadyExistsError, NotFoundError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import { alice, bob, carol, later, meta, NOW, sam, TICKET_KEY, ticketCreated, ticketLocked, ticketProgressed, v1Context } from '../testing/fixtures';
import type { ResourceKey } from '../shared/message';
import type { AddComment, AssignTicket, MoveTicketIn, MoveTicketOut, TicketCommand } from './ticket.commands';
import { ticketDecider } from './ticket.decider';
import type { CommentAdded, TicketAssigned, TicketDeleted, TicketEvent, TicketMovedIn, TicketMovedOut } from './ticket.events';
import { type ActiveTicket, ticketSnapshot, type TicketState } from './ticket.state';

const spec = DeciderSpecification.for(ticketDecider);
const fold = (events: readonly TicketEvent[]): TicketState => events.reduce(ticketDecider.evolve, ticketDecider.initialState());
const created = [ticketCreated()];

describe('assigning a ticket (TICKETS.md section 4, assign)', () => {
  const assign = (data: AssignTicket['data'], who = sam): AssignTicket => ({ type: 'AssignTicket', data, metadata: meta(who) });
  const assigned = (data: Partial<TicketAssigned['data']>): TicketAssigned => ({
    type: 'TicketAssigned',
    data: { owner_shortname: 'alice', previous_owner_shortname: 'alice', by: 'sam', at: NOW, ...data },
  });

  it('assigns it to a user', () => {
    spec.given(created).when(assign({ owner_shortname: 'bob' })).then([assigned({ owner_shortname: 'bob' })]);
  });

  it('assigns it to a team, keeping the user', () => {
    spec
      .given(created)
      .when(assign({ owner_group_shortname: 'network_team' }))
      .then([assigned({ owner_group_shortname: 'network_team' })]);
  });

  it('assigns both at once, recording the previous ones', () => {
    const first = assigned({ owner_shortname: 'bob', owner_group_shortname: 'network_team' });
    spec
      .given([...created, first])
      .when(assign({ owner_shortname: 'carol', owner_group_shortname: 'billing_team' }))
      .then([
        assigned({
          owner_shortname: 'carol',
          owner_group_shortname: 'billing_team',
          previous_owner_shortname: 'bob',
          previous_owner_group_shortname: 'network_team',
        }),
      ]);
  });

  it('keeps the assignment history', () => {
    const history = [assigned({ owner_shortname: 'bob' }), assigned({ owner_shortname: 'carol', previous_owner_shortname: 'bob' })];
    const after = fold([...created, ...history]) as ActiveTicket;
    expect(after.owner_shortname).toBe('carol');
    expect(after.assignments).toEqual(history.map((e) => e.data));
  });

  it('emits nothing when the ticket is already so assigned', () => {
    spec.given(created).when(assign({ owner_shortname: 'alice' })).thenNothingHappened();
  });

  it('refuses an assignment naming nobody with code 422', () => {
    spec.given(created).when(assign({})).thenThrows(ValidationError, (e) => e.code === 422);
    spec.given(created).when(assign({ owner_shortname: '' })).thenThrows(ValidationError);
  });
});

describe('comments (TICKETS.md section 4, comments)', () => {
  const add = (shortname: string, body: string, who = carol): AddComment => ({
    type: 'AddComment',
    data: { shortname, uuid: `uuid-${shortname}`, body },
    metadata: meta(who),
  });
  const added = (shortname: string, body: string, state = 'in_progress', author = 'carol'): CommentAdded => ({
    type: 'CommentAdded',
    data: { comment: { shortname, uuid: `uuid-${shortname}`, body, author, created_at: NOW, state } },
  });

  it('attaches a comment with its author, time and the ticket state', () => {
    spec.given(created).when(add('c1', 'Still no signal')).then([added('c1', 'Still no signal')]);
  });

  it('keeps comments with the ticket, in order', () => {
    const after = fold([...created, added('c1', 'one'), added('c2', 'two')]) as ActiveTicket;
    expect(after.comments.map((c) => c.shortname)).toEqual(['c1', 'c2']);
  });

  it('accepts comments on closed tickets (as Dmart)', () => {
    const closed = [ticketCreated({ state: 'closed', is_open: false })];
    spec.given(closed).when(add('c1', 'Thanks!')).then([added('c1', 'Thanks!', 'closed')]);
  });

  it('refuses a blank comment with code 422', () => {
    spec.given(created).when(add('c1', ' ')).thenThrows(ValidationError);
  });

  it('refuses a comment shortname already used with code 400', () => {
    spec.given([...created, added('c1', 'one')]).when(add('c1', 'again')).thenThrows(AlreadyExistsError);
  });

  it('refuses comments on a missing ticket with code 220', () => {
    spec.given([]).when(add('c1', 'hello')).thenThrows(NotFoundError);
  });
});

describe('deleting a ticket (TICKETS.md section 4, delete)', () => {
  const del: TicketCommand = { type: 'DeleteTicket', data: {}, metadata: meta(sam) };
  const deleted: TicketDeleted = { type: 'TicketDeleted', data: { by: 'sam', at: NOW } };

  it('deletes it', () => {
    spec.given(created).when(del).then([deleted]);
  });

  it('the stream state becomes deleted', () => {
    expect(fold([...created, deleted])).toEqual({ status: 'deleted' });
  });

  it.each<[string, TicketCommand]>([
    ['progress', { type: 'ProgressTicket', data: { action: 'resolve', context: v1Context }, metadata: meta(alice) }],
    ['update', { type: 'UpdateTicket', data: { attributes: { tags: [] }, context: v1Context }, metadata: meta(alice) }],
    ['lock', { type: 'LockTicket', data: {}, metadata: meta(alice) }],
    ['comment', { type: 'AddComment', data: { shortname: 'c', uuid: 'u', body: 'b' }, metadata: meta(alice) }],
    ['delete', del],
  ])('refuses %s afterwards with code 220', (_name, command) => {
    spec.given([...created, deleted]).when(command).thenThrows(NotFoundError, (e) => e.code === 220);
  });
});

describe('moving a ticket (TICKETS.md section 4, move)', () => {
  const to: ResourceKey = { space_name: TICKET_KEY.space_name, subpath: 'archive/2025', shortname: 'moved_1' };
  const moveOut = (key: ResourceKey, who = sam): MoveTicketOut => ({ type: 'MoveTicketOut', data: { to: key }, metadata: meta(who) });
  const movedOut: TicketMovedOut = { type: 'TicketMovedOut', data: { to, at: NOW } };

  describe('on the source stream', () => {
    it('moves the ticket out to a new subpath and shortname', () => {
      spec.given(created).when(moveOut(to)).then([movedOut]);
    });

    it('the source then says where the ticket went, and refuses commands with code 220', () => {
      expect(fold([...created, movedOut])).toEqual({ status: 'moved', to });
      spec
        .given([...created, movedOut])
        .when({ type: 'LockTicket', data: {}, metadata: meta(alice) })
        .thenThrows(NotFoundError, (e) => e.message.includes('archive/2025/moved_1'));
    });

    it('refuses a move to another space with code 422', () => {
      spec.given(created).when(moveOut({ ...to, space_name: 'other' })).thenThrows(ValidationError);
    });

    it('refuses a move to the same key with code 422', () => {
      spec.given(created).when(moveOut(TICKET_KEY)).thenThrows(ValidationError);
    });

    it('refuses an invalid destination shortname with code 422', () => {
      spec.given(created).when(moveOut({ ...to, shortname: 'no/slash' })).thenThrows(ValidationError);
    });
  });

  describe('on the destination stream', () => {
    const source = fold([
      ...created,
      ticketProgressed('resolve', 'in_progress', 'resolved', { resolution_reason: 'fixed' }),
      ticketLocked('sam', NOW),
    ]) as ActiveTicket;
    const snapshot = ticketSnapshot(source, to);
    const moveIn: MoveTicketIn = { type: 'MoveTicketIn', data: { from: TICKET_KEY, snapshot }, metadata: meta(sam, later(1)) };
    const movedIn: TicketMovedIn = { type: 'TicketMovedIn', data: { from: TICKET_KEY, snapshot, at: later(1) } };

    it('the ticket arrives whole at the destination key (uniqueness: the destination must be free)', () => {
      spec.given([]).when(moveIn).then([movedIn]);
    });

    it('it continues there with every attribute, its lock, comments and workflow version', () => {
      const { status: _s, ...attributes } = source;
      expect(fold([movedIn])).toEqual({ status: 'active', ...attributes, ...to });
    });

    it('a ticket may move back to a key it left (e.g. to undo a move whose destination append failed)', () => {
      const back: MoveTicketIn = { ...moveIn, data: { from: to, snapshot: ticketSnapshot(source, TICKET_KEY) } };
      spec
        .given([...created, movedOut])
        .when(back)
        .then([{ type: 'TicketMovedIn', data: { from: to, snapshot: ticketSnapshot(source, TICKET_KEY), at: later(1) } }]);
    });

    it('refuses when a ticket lives at the destination with code 400', () => {
      spec.given([ticketCreated(to)]).when(moveIn).thenThrows(AlreadyExistsError, (e) => e.code === 400);
    });
  });
});

describe('the key is exact (TICKETS.md section 4, delete: deleting abc never touches abcd)', () => {
  it('each ticket is its own stream: deciding on one never yields events about another key', () => {
    const abc = [ticketCreated({ shortname: 'abc' })];
    const events = ticketDecider.decide({ type: 'DeleteTicket', data: {}, metadata: meta(bob) }, fold(abc));
    expect(events).toEqual([{ type: 'TicketDeleted', data: { by: 'bob', at: NOW } }]);
  });
});
