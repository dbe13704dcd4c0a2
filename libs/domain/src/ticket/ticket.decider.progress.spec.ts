import { effectiveRoles } from '../group/group.decider';
import { AlreadyExistsError, InvalidTransitionError, NotFoundError, TicketClosedError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import {
  alice,
  bob,
  carol,
  meta,
  NOW,
  sam,
  supportWorkflow,
  ticketCreated,
  ticketProgressed,
  v1Context,
  v2Context,
} from '../testing/fixtures';
import type { WorkflowDefinition } from '../workflow/workflow.types';
import type { NewComment, ProgressTicket, TicketContext } from './ticket.commands';
import { ticketDecider } from './ticket.decider';
import type { TicketDeleted } from './ticket.events';
import type { TicketState } from './ticket.state';

const spec = DeciderSpecification.for(ticketDecider);

const progress = (
  action: string,
  who = alice,
  extra: { resolution?: string; comment?: NewComment; context?: TicketContext } = {},
): ProgressTicket => ({
  type: 'ProgressTicket',
  data: { action, context: v1Context, ...extra },
  metadata: meta(who),
});

const inProgress = [ticketCreated()];
const resolved = [...inProgress, ticketProgressed('resolve', 'in_progress', 'resolved', { resolution_reason: 'fixed' })];
const closed = [...resolved, ticketProgressed('close', 'resolved', 'closed')];

const stateAfter = (events: Parameters<typeof spec.given>[0]): TicketState =>
  events.reduce(ticketDecider.evolve, ticketDecider.initialState());

describe('progressing a ticket (TICKETS.md section 4, progress)', () => {
  describe('when the transition exists and the actor holds one of its roles', () => {
    it('moves the ticket to the target state in one event', () => {
      spec.given(inProgress).when(progress('escalate')).then([ticketProgressed('escalate', 'in_progress', 'escalated')]);
    });

    it('records collaborators[action] = actor', () => {
      const after = stateAfter([...inProgress, ticketProgressed('escalate', 'in_progress', 'escalated', { actor: 'bob' })]);
      expect(after.status === 'active' && after.collaborators).toEqual({ escalate: 'bob' });
    });
  });

  describe('when the ticket is closed', () => {
    it('refuses progress with code 299', () => {
      spec.given(closed).when(progress('reopen', sam)).thenThrows(TicketClosedError, (e) => e.code === 299);
    });

    it('a state with next: [] is closed (Fix: Dmart leaves it open for ever)', () => {
      expect(stateAfter(closed)).toMatchObject({ state: 'closed', is_open: false });
    });

    it('a state without next is closed too', () => {
      const cancelled = [ticketCreated({ state: 'draft' }), ticketProgressed('cancel', 'draft', 'cancelled')];
      expect(stateAfter(cancelled)).toMatchObject({ is_open: false });
      spec.given(cancelled).when(progress('submit', carol)).thenThrows(TicketClosedError);
    });
  });

  describe('when the current state has no transition with that action', () => {
    it('refuses with code 300 "can\'t progress from S using A"', () => {
      spec
        .given(inProgress)
        .when(progress('reopen', sam))
        .thenThrows(InvalidTransitionError, (e) => e.code === 300 && e.message === "can't progress from in_progress using reopen");
    });
  });

  describe('when the actor lacks the transition roles', () => {
    it('refuses with code 300 and a permission message', () => {
      spec
        .given(inProgress)
        .when(progress('close', alice))
        .thenThrows(
          InvalidTransitionError,
          (e) => e.code === 300 && e.message.startsWith('user does not have the required roles to progress from in_progress using close'),
        );
    });

    describe("when the role comes from one of the actor's groups (Fix: Dmart ignores group roles)", () => {
      // Token roles: none; group `leads` has role `supervisor`. The caller passes effective roles.
      const dana = { shortname: 'dana', roles: effectiveRoles([], [['supervisor']]), groups: ['leads'] };

      it('it counts', () => {
        spec
          .given(inProgress)
          .when(progress('close', dana))
          .then([ticketProgressed('close', 'in_progress', 'closed', { actor: 'dana' })]);
      });

      it('without the group the same actor is refused', () => {
        spec
          .given(inProgress)
          .when(progress('close', { ...dana, roles: effectiveRoles([]), groups: [] }))
          .thenThrows(InvalidTransitionError);
      });
    });
  });

  describe('resolutions', () => {
    it('a resolution defined by the target state (object key) is recorded', () => {
      spec
        .given(inProgress)
        .when(progress('resolve', alice, { resolution: 'workaround' }))
        .then([ticketProgressed('resolve', 'in_progress', 'resolved', { resolution_reason: 'workaround' })]);
    });

    it('a resolution defined by the target state (plain string) is recorded', () => {
      spec
        .given(resolved)
        .when(progress('close', bob, { resolution: 'duplicate' }))
        .then([ticketProgressed('close', 'resolved', 'closed', { actor: 'bob', resolution_reason: 'duplicate' })]);
    });

    it('a resolution the target state does not define is refused with code 300', () => {
      spec
        .given(inProgress)
        .when(progress('resolve', alice, { resolution: 'duplicate' }))
        .thenThrows(InvalidTransitionError, (e) => e.message === "resolution 'duplicate' is not defined by state 'resolved'");
    });

    it('a resolution defined only by the current state is refused too (the TARGET must define it)', () => {
      spec
        .given(resolved)
        .when(progress('reopen', sam, { resolution: 'fixed' }))
        .thenThrows(InvalidTransitionError, (e) => e.code === 300);
    });

    it('a resolution that is not a string is refused with code 422', () => {
      spec
        .given(inProgress)
        .when(progress('resolve', alice, { resolution: 7 as unknown as string }))
        .thenThrows(ValidationError, (e) => e.code === 422);
    });

    it('is optional, even into a state that defines resolutions', () => {
      spec.given(inProgress).when(progress('resolve')).then([ticketProgressed('resolve', 'in_progress', 'resolved')]);
    });

    it('is cleared when the ticket moves to an open state without one', () => {
      spec
        .given(resolved)
        .when(progress('reopen', carol))
        .then([ticketProgressed('reopen', 'resolved', 'in_progress', { actor: 'carol', resolution_reason: null })]);
      expect(stateAfter([...resolved, ticketProgressed('reopen', 'resolved', 'in_progress')])).toMatchObject({
        resolution_reason: null,
      });
    });

    it('is null as well when the ticket closes without one (a stale resolution never carries over)', () => {
      spec
        .given(resolved)
        .when(progress('close', bob))
        .then([ticketProgressed('close', 'resolved', 'closed', { actor: 'bob', resolution_reason: null })]);
    });
  });

  describe('a comment given with the progress (Fix: saved in the same append, no name collision)', () => {
    const note: NewComment = { shortname: 'c_cmd0001', uuid: 'c0000000-0000-4000-8000-000000000001', body: 'Rebooted the tower' };

    it('is part of the one TicketProgressed event, with the new state', () => {
      spec
        .given(inProgress)
        .when(progress('resolve', alice, { resolution: 'fixed', comment: note }))
        .then([
          ticketProgressed('resolve', 'in_progress', 'resolved', {
            resolution_reason: 'fixed',
            comment: { ...note, author: 'alice', created_at: NOW, state: 'resolved' },
          }),
        ]);
    });

    it('is kept with the ticket', () => {
      const after = stateAfter([
        ...inProgress,
        ticketProgressed('resolve', 'in_progress', 'resolved', {
          comment: { ...note, author: 'alice', created_at: NOW, state: 'resolved' },
        }),
      ]);
      expect(after.status === 'active' && after.comments.map((c) => c.body)).toEqual(['Rebooted the tower']);
    });

    it('with a blank body is no comment', () => {
      spec
        .given(inProgress)
        .when(progress('resolve', alice, { comment: { ...note, body: '  ' } }))
        .then([ticketProgressed('resolve', 'in_progress', 'resolved')]);
    });

    it('reusing an existing comment shortname is refused with code 400', () => {
      const withComment = [
        ...inProgress,
        ticketProgressed('escalate', 'in_progress', 'escalated', {
          comment: { ...note, author: 'alice', created_at: NOW, state: 'escalated' },
        }),
      ];
      spec.given(withComment).when(progress('return', sam, { comment: note })).thenThrows(AlreadyExistsError);
    });
  });

  describe('versioned workflows (TICKETS.md section 2)', () => {
    it('a ticket created under version 1 keeps following version 1', () => {
      // Version 2 renamed `resolve` to `finish`; the ticket still resolves with version 1's action.
      spec.given(inProgress).when(progress('resolve')).then([ticketProgressed('resolve', 'in_progress', 'resolved')]);
    });

    it("version 2's actions do not apply to it", () => {
      spec
        .given(inProgress)
        .when(progress('finish'))
        .thenThrows(InvalidTransitionError, (e) => e.message === "can't progress from in_progress using finish");
    });

    it('a ticket created under version 2 follows version 2', () => {
      spec
        .given([ticketCreated({ workflow_version: 2 })])
        .when(progress('finish', alice, { context: v2Context }))
        .then([ticketProgressed('finish', 'in_progress', 'resolved')]);
    });

    it("refuses with code 220 when the context does not hold the ticket's version", () => {
      spec
        .given(inProgress)
        .when(progress('finish', alice, { context: v2Context }))
        .thenThrows(NotFoundError, (e) => e.code === 220 && e.message.includes('version 1'));
    });

    it('refuses with "workflow not found" (220) when the workflow is missing', () => {
      spec
        .given(inProgress)
        .when(progress('resolve', alice, { context: {} }))
        .thenThrows(NotFoundError, (e) => e.message.startsWith('workflow not found'));
    });

    it('a later edit never strands an open ticket: its state may not exist in the new version', () => {
      const v3: WorkflowDefinition = { ...supportWorkflow, states: supportWorkflow.states.filter((s) => s.state !== 'escalated') };
      const escalated = [...inProgress, ticketProgressed('escalate', 'in_progress', 'escalated')];
      // Under version 3 `escalated` would have no transitions (closed); under its own version 1 it still moves on.
      spec.given(escalated).when(progress('return', sam, { context: { workflow: { version: 3, definition: v3 } } })).thenThrows(NotFoundError);
      spec.given(escalated).when(progress('return', sam)).then([ticketProgressed('return', 'escalated', 'in_progress', { actor: 'sam' })]);
    });
  });

  describe('when the ticket does not exist', () => {
    it('refuses with code 220', () => {
      spec.given([]).when(progress('resolve')).thenThrows(NotFoundError, (e) => e.code === 220);
    });

    it('refuses a deleted ticket with code 220', () => {
      const deleted: TicketDeleted = { type: 'TicketDeleted', data: { by: 'sam', at: NOW } };
      spec.given([...inProgress, deleted]).when(progress('resolve')).thenThrows(NotFoundError);
    });
  });
});
