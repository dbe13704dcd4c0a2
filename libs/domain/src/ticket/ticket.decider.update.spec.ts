import { NotFoundError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import { alice, complaintPayload, meta, NOW, sam, ticketCreated, v1Context } from '../testing/fixtures';
import type { AttributeChanges, PatchTicket, TicketContext, UpdateTicket } from './ticket.commands';
import { ticketDecider } from './ticket.decider';
import type { EditableAttributes, TicketUpdated } from './ticket.events';

const spec = DeciderSpecification.for(ticketDecider);

const update = (attributes: AttributeChanges, context: TicketContext = v1Context, who = alice): UpdateTicket => ({
  type: 'UpdateTicket',
  data: { attributes, context },
  metadata: meta(who),
});
const patch = (attributes: AttributeChanges, context: TicketContext = v1Context, who = alice): PatchTicket => ({
  type: 'PatchTicket',
  data: { attributes, context },
  metadata: meta(who),
});
const updated = (set: EditableAttributes, unset: TicketUpdated['data']['unset'] = []): TicketUpdated => ({
  type: 'TicketUpdated',
  data: { set, unset, at: NOW },
});

const created = [ticketCreated({ displayname: { en: 'No signal', ar: 'لا إشارة' }, collaborators: { resolve: 'bob' } })];

describe('updating a ticket (TICKETS.md section 4, update / patch)', () => {
  describe('update', () => {
    it('replaces the given editable attributes', () => {
      spec
        .given(created)
        .when(update({ tags: ['billing'], is_active: true, displayname: { en: 'Billing' }, reporter: { name: 'Carol' } }))
        .then([updated({ tags: ['billing'], is_active: true, displayname: { en: 'Billing' }, reporter: { name: 'Carol' } })]);
    });

    it('replaces payload.body wholesale, keeping content_type and schema_shortname', () => {
      const body = { title: 'Slow internet', priority: 3 };
      spec.given(created).when(update({ payload: { body } })).then([updated({ payload: { ...complaintPayload, body } })]);
    });

    it('changes collaborators', () => {
      spec.given(created).when(update({ collaborators: { review: 'sam' } })).then([updated({ collaborators: { review: 'sam' } })]);
    });

    it('emits only the attributes that change', () => {
      spec.given(created).when(update({ tags: ['network'], is_active: true })).then([updated({ is_active: true })]);
    });

    it('changes nothing, and emits nothing, when every value is already so', () => {
      spec.given(created).when(update({ tags: ['network'], is_active: false })).thenNothingHappened();
    });

    it('resets an attribute given as null: optional ones are removed, tags emptied', () => {
      spec
        .given(created)
        .when(update({ displayname: null, tags: null, is_active: null }))
        .then([updated({ tags: [] }, ['displayname'])]);
    });

    it('applies set and unset in evolve', () => {
      const after = [...created, updated({ tags: [] }, ['displayname'])].reduce(
        ticketDecider.evolve,
        ticketDecider.initialState(),
      );
      expect(after).toMatchObject({ status: 'active', tags: [], updated_at: NOW });
      expect(after).not.toHaveProperty('displayname');
    });
  });

  describe('patch', () => {
    it('deep-merges payload.body', () => {
      spec
        .given(created)
        .when(patch({ payload: { body: { priority: 4, details: { channel: 'call_center' } } } }))
        .then([
          updated({
            payload: {
              ...complaintPayload,
              body: { title: 'No signal in Erbil', priority: 4, details: { msisdn: '9647501234567', channel: 'call_center' } },
            },
          }),
        ]);
    });

    it('removes a key given as null', () => {
      spec
        .given(created)
        .when(patch({ payload: { body: { details: { channel: null } } }, displayname: { ar: null } }))
        .then([
          updated({
            displayname: { en: 'No signal' },
            payload: { ...complaintPayload, body: { title: 'No signal in Erbil', priority: 2, details: { msisdn: '9647501234567' } } },
          }),
        ]);
    });

    it('deep-merges other object attributes (collaborators, reporter)', () => {
      spec
        .given(created)
        .when(patch({ collaborators: { review: 'sam' }, reporter: { governorate: 'Erbil' } }))
        .then([
          updated({
            collaborators: { resolve: 'bob', review: 'sam' },
            reporter: { name: 'Carol', msisdn: '9647501234567', channel: 'app', governorate: 'Erbil' },
          }),
        ]);
    });

    it('replaces arrays', () => {
      spec.given(created).when(patch({ tags: ['a', 'b'] })).then([updated({ tags: ['a', 'b'] })]);
    });

    it('emits nothing when the merge changes nothing', () => {
      spec.given(created).when(patch({ payload: { body: { priority: 2 } } })).thenNothingHappened();
    });
  });

  describe('when an update or patch tries to change the workflow (Fix: Dmart lets updates bypass it)', () => {
    it.each([
      ['state', 'closed', 'progressing'],
      ['is_open', false, 'progressing'],
      ['resolution_reason', 'fixed', 'progressing'],
      ['workflow_shortname', 'other', 'keeps its workflow'],
    ])('refuses %s with code 422 and a clear message', (attribute, value, hint) => {
      for (const command of [update({ [attribute]: value }), patch({ [attribute]: value })]) {
        spec
          .given(created)
          .when(command)
          .thenThrows(
            ValidationError,
            (e) => e.code === 422 && e.message.includes(`'${attribute}'`) && e.message.includes(hint) && e.info?.[0]?.['attribute'] === attribute,
          );
      }
    });

    it('refuses even when other, allowed attributes come along (nothing is applied)', () => {
      spec.given(created).when(update({ tags: ['x'], state: 'closed' })).thenThrows(ValidationError);
    });
  });

  describe('when an update names an attribute it cannot change', () => {
    it('refuses owner changes, pointing at assign', () => {
      spec
        .given(created)
        .when(update({ owner_shortname: 'sam' }))
        .thenThrows(ValidationError, (e) => e.message.includes('assigning'));
    });

    it('refuses unknown attributes with code 422, naming them', () => {
      spec
        .given(created)
        .when(patch({ colour: 'red' }))
        .thenThrows(ValidationError, (e) => e.message === "'colour' is not an attribute update or patch can change");
    });

    it('refuses ill-formed values', () => {
      spec.given(created).when(update({ tags: [1, 2] })).thenThrows(ValidationError, (e) => e.message.includes("'tags'"));
      spec.given(created).when(update({ payload: { content_type: '', body: {} } })).thenThrows(ValidationError);
    });
  });

  describe('the payload is re-validated against its schema (TICKETS.md section 5)', () => {
    it('on update, naming the failing path', () => {
      spec
        .given(created)
        .when(update({ payload: { body: { title: 'x', priority: 'urgent' } } }))
        .thenThrows(ValidationError, (e) => e.message.includes('/body/priority must be integer'));
    });

    it('on patch, against the merged body', () => {
      spec
        .given(created)
        .when(patch({ payload: { body: { title: null, extra: 1 } } }))
        .thenThrows(
          ValidationError,
          (e) => e.message.includes('/body/title is required') && e.message.includes('/body/extra is not allowed'),
        );
    });

    it('a json payload naming a schema that is not in the context is refused with code 220', () => {
      spec.given(created).when(update({ payload: { body: { title: 't', priority: 1 } } }, {})).thenThrows(NotFoundError);
    });

    it('is not re-validated when the payload does not change', () => {
      spec.given(created).when(update({ tags: ['x'] }, {})).then([updated({ tags: ['x'] })]);
    });
  });

  describe('closed tickets', () => {
    it('can still be updated (only the workflow attributes are frozen)', () => {
      const closedTicket = [ticketCreated({ state: 'closed', is_open: false })];
      spec.given(closedTicket).when(update({ tags: ['archived'] }, v1Context, sam)).then([updated({ tags: ['archived'] })]);
    });
  });

  describe('when the ticket does not exist', () => {
    it('refuses with code 220', () => {
      spec.given([]).when(update({ tags: [] })).thenThrows(NotFoundError, (e) => e.code === 220);
    });
  });
});
