import { AlreadyExistsError, NotAllowedError, NotFoundError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import {
  alice,
  carol,
  complaintPayload,
  meta,
  NOW,
  olga,
  sam,
  supportWorkflow,
  TICKET_KEY,
  TICKET_UUID,
  ticketCreated,
  v1Context,
} from '../testing/fixtures';
import type { WorkflowDefinition } from '../workflow/workflow.types';
import type { CreateTicket } from './ticket.commands';
import { ticketDecider } from './ticket.decider';
import type { TicketDeleted } from './ticket.events';

const spec = DeciderSpecification.for(ticketDecider);

const create = (overrides: Partial<CreateTicket['data']> = {}, who = alice): CreateTicket => ({
  type: 'CreateTicket',
  data: {
    ...TICKET_KEY,
    uuid: TICKET_UUID,
    workflow_shortname: 'support',
    tags: ['network'],
    payload: complaintPayload,
    reporter: { name: 'Carol', msisdn: '9647501234567', channel: 'app' },
    context: v1Context,
    ...overrides,
  },
  metadata: meta(who),
});

describe('creating a ticket (TICKETS.md section 4, create)', () => {
  describe('when the key is free', () => {
    it('creates it in the initial state for the actor, open, owned by the actor, under the workflow version', () => {
      spec.given([]).when(create()).then([ticketCreated()]);
    });

    it('gives defaults: is_active false, no tags, no collaborators', () => {
      spec
        .given([])
        .when(create({ tags: undefined, payload: undefined, reporter: undefined }))
        .then([ticketCreated({ tags: [], payload: undefined, reporter: undefined })]);
    });

    it('keeps the team, displayname, description and is_active given', () => {
      const extra = {
        owner_group_shortname: 'front_desk',
        displayname: { en: 'No signal', ar: 'لا توجد إشارة' },
        description: { en: 'Since Monday' },
        is_active: true,
      };
      spec.given([]).when(create(extra)).then([ticketCreated(extra)]);
    });

    it('records the version of the workflow it was created under', () => {
      spec
        .given([])
        .when(create({ context: { ...v1Context, workflow: { version: 4, definition: supportWorkflow } } }))
        .then([ticketCreated({ workflow_version: 4 })]);
    });
  });

  describe('the initial state follows the actor roles', () => {
    it('an agent or supervisor starts in_progress (first matching entry)', () => {
      spec.given([]).when(create({}, sam)).then([ticketCreated({ owner_shortname: 'sam' })]);
    });

    it('anyone else gets the default entry: draft', () => {
      spec.given([]).when(create({}, carol)).then([ticketCreated({ owner_shortname: 'carol', state: 'draft' })]);
    });

    it('refuses with code 401 when no entry matches and none is default', () => {
      const agentsOnly: WorkflowDefinition = { ...supportWorkflow, initial_state: [{ name: 'in_progress', roles: ['agent'] }] };
      spec
        .given([])
        .when(create({ context: { ...v1Context, workflow: { version: 1, definition: agentsOnly } } }, olga))
        .thenThrows(
          NotAllowedError,
          (e) => e.code === 401 && e.message === 'user does not have the required roles to create this ticket',
        );
    });
  });

  describe('is_open (closed = no outgoing transitions)', () => {
    it('is false when the initial state is closed', () => {
      const startsClosed: WorkflowDefinition = { ...supportWorkflow, initial_state: [{ name: 'closed', roles: ['default'] }] };
      spec
        .given([])
        .when(create({ context: { ...v1Context, workflow: { version: 1, definition: startsClosed } } }, carol))
        .then([ticketCreated({ owner_shortname: 'carol', state: 'closed', is_open: false })]);
    });
  });

  describe('client-sent state and is_open', () => {
    it('are ignored: the workflow decides them', () => {
      const sneaky = { ...create({}, carol).data, state: 'closed', is_open: false } as CreateTicket['data'];
      spec
        .given([])
        .when({ ...create({}, carol), data: sneaky })
        .then([ticketCreated({ owner_shortname: 'carol', state: 'draft', is_open: true })]);
    });
  });

  describe('when the workflow is unknown (Fix: Dmart raises a 500)', () => {
    it('refuses with "workflow not found", code 220', () => {
      spec
        .given([])
        .when(create({ context: { schema: v1Context.schema } }))
        .thenThrows(NotFoundError, (e) => e.code === 220 && e.message.startsWith('workflow not found'));
    });

    it('refuses a missing workflow_shortname with code 422', () => {
      spec
        .given([])
        .when(create({ workflow_shortname: undefined as unknown as string }))
        .thenThrows(ValidationError, (e) => e.message.includes('workflow_shortname'));
    });
  });

  describe('when the key is taken', () => {
    it('refuses with code 400', () => {
      spec.given([ticketCreated()]).when(create()).thenThrows(AlreadyExistsError, (e) => e.code === 400);
    });
  });

  describe('when the ticket at this key was deleted', () => {
    const deleted: TicketDeleted = { type: 'TicketDeleted', data: { by: 'sam', at: NOW } };
    it('creates a new ticket there (the stream starts a new life)', () => {
      spec.given([ticketCreated(), deleted]).when(create()).then([ticketCreated()]);
    });
  });

  describe('the key', () => {
    it.each(['', 'has space', 'dash-ed', 'x'.repeat(65)])('refuses shortname %p with code 422', (shortname) => {
      spec.given([]).when(create({ shortname })).thenThrows(ValidationError, (e) => e.code === 422);
    });

    it('accepts Arabic letters, digits and _', () => {
      spec.given([]).when(create({ shortname: 'تذكرة_12' })).then([ticketCreated({ shortname: 'تذكرة_12' })]);
    });

    it('refuses a missing uuid with code 422', () => {
      spec.given([]).when(create({ uuid: '' })).thenThrows(ValidationError);
    });
  });

  describe('the payload (TICKETS.md section 5)', () => {
    it('is validated against its schema, naming the failing path', () => {
      const payload = { ...complaintPayload, body: { title: 'No signal', priority: 'high' } };
      spec
        .given([])
        .when(create({ payload }))
        .thenThrows(ValidationError, (e) => e.code === 422 && e.message.includes('/body/priority must be integer'));
    });

    it('lists every failing path in info', () => {
      const payload = { ...complaintPayload, body: { priority: 0 } };
      spec
        .given([])
        .when(create({ payload }))
        .thenThrows(ValidationError, (e) =>
          JSON.stringify(e.info?.map((v) => v['path'])) === JSON.stringify(['/body/title', '/body/priority']),
        );
    });

    it('naming a schema that does not exist is refused with code 220', () => {
      spec
        .given([])
        .when(create({ context: { workflow: v1Context.workflow } }))
        .thenThrows(NotFoundError, (e) => e.message.includes("schema not found: 'complaint'"));
    });

    it('is not validated when it names no schema', () => {
      const payload = { content_type: 'json', body: { anything: true } };
      spec.given([]).when(create({ payload, context: { workflow: v1Context.workflow } })).then([ticketCreated({ payload })]);
    });

    it('is not validated when it is not json', () => {
      const payload = { content_type: 'markdown', schema_shortname: 'complaint', body: '# hello' };
      spec.given([]).when(create({ payload })).then([ticketCreated({ payload })]);
    });

    it('refuses a payload without content_type', () => {
      spec
        .given([])
        .when(create({ payload: { body: {} } as never }))
        .thenThrows(ValidationError, (e) => e.message.includes('payload.content_type'));
    });
  });

  describe('the attributes', () => {
    it('refuses ill-formed ones, naming them', () => {
      spec
        .given([])
        .when(create({ tags: 'urgent' as never, is_active: 'yes' as never }))
        .thenThrows(ValidationError, (e) => e.message.includes("'tags'") && e.message.includes("'is_active'"));
    });
  });
});
