import type { JsonSchema } from '../schema/payload.validator';
import type { Actor, CommandMetadata, ResourceKey } from '../shared/message';
import type { TicketContext } from '../ticket/ticket.commands';
import type { Payload, TicketCreated, TicketLocked, TicketProgressed } from '../ticket/ticket.events';
import { isClosedState } from '../workflow/workflow.definition';
import type { WorkflowDefinition } from '../workflow/workflow.types';

/**
 * Fixtures for the domain specs: a realistic support workflow, its legacy-form twin, a payload schema and
 * actors with effective roles (TICKETS.md sections 2-5).
 */

/** The space of every fixture. */
export const SPACE = 'support';
/** The instant most fixture commands are issued at. */
export const NOW = '2025-03-01T09:00:00.000Z';

/** Adds `seconds` to an ISO instant (for lock expiry specs: time is data, nothing sleeps). */
export const later = (seconds: number, from: string = NOW): string =>
  new Date(Date.parse(from) + seconds * 1000).toISOString();

const actor = (shortname: string, roles: string[], groups: string[] = []): Actor => ({ shortname, roles, groups });

/** Front-line agent. */
export const alice = actor('alice', ['logged_in', 'agent'], ['front_desk']);
/** Second agent, to show that locks and roles are per actor. */
export const bob = actor('bob', ['logged_in', 'agent']);
/** Supervisor: may escalate-resolve, close and reopen. */
export const sam = actor('sam', ['logged_in', 'supervisor']);
/** Customer (the reporter): only creates and reopens. */
export const carol = actor('carol', ['logged_in', 'customer']);
/** Authenticated user with no business role. */
export const olga = actor('olga', ['logged_in']);

/** Command metadata with the decider's only clock and ids. */
export const meta = (who: Actor, now: string = NOW, command_id = 'cmd-0001'): CommandMetadata => ({
  command_id,
  actor: who,
  now,
});

/**
 * Support workflow, new form:
 * ```
 *   draft --submit--> in_progress --resolve--> resolved --close--> closed (next: [])
 *     \--cancel--> cancelled (no next)   \--escalate--> escalated --resolve--> resolved
 *                                         \--close (supervisor)--> closed      \--return--> in_progress
 *                                          resolved --reopen (supervisor, customer)--> in_progress
 * ```
 * Agents and supervisors start `in_progress`; anyone else starts in `draft` (the `default` entry).
 * `resolved` has keyed resolutions, `closed` and `cancelled` plain-string ones.
 */
export const supportWorkflowBody = {
  name: 'Support request',
  illustration: 'support.svg',
  initial_state: [
    { name: 'in_progress', roles: ['agent', 'supervisor'] },
    { name: 'draft', roles: ['default'] },
  ],
  states: [
    {
      name: 'Draft',
      state: 'draft',
      next: [
        { action: 'submit', state: 'in_progress', roles: ['agent', 'supervisor', 'customer'] },
        { action: 'cancel', state: 'cancelled', roles: ['agent', 'supervisor', 'customer'] },
      ],
    },
    {
      name: 'In progress',
      state: 'in_progress',
      next: [
        { action: 'resolve', state: 'resolved', roles: ['agent', 'supervisor'] },
        { action: 'escalate', state: 'escalated', roles: ['agent'] },
        { action: 'close', state: 'closed', roles: ['supervisor'] },
      ],
    },
    {
      name: 'Escalated',
      state: 'escalated',
      next: [
        { action: 'resolve', state: 'resolved', roles: ['supervisor'] },
        { action: 'return', state: 'in_progress', roles: ['supervisor'] },
      ],
    },
    {
      name: 'Resolved',
      state: 'resolved',
      next: [
        { action: 'reopen', state: 'in_progress', roles: ['supervisor', 'customer'] },
        { action: 'close', state: 'closed', roles: ['agent', 'supervisor'] },
      ],
      resolutions: [
        { key: 'fixed', en: 'Fixed', ar: 'تم الإصلاح' },
        { key: 'workaround', en: 'Workaround given' },
      ],
    },
    { name: 'Closed', state: 'closed', next: [], resolutions: ['completed', 'duplicate', 'rejected'] },
    { name: 'Cancelled', state: 'cancelled', resolutions: ['customer_request'] },
  ],
};

/** The normalised form of `supportWorkflowBody` (what `normalizeWorkflow` yields). */
export const supportWorkflow: WorkflowDefinition = {
  name: 'Support request',
  illustration: 'support.svg',
  initial_state: supportWorkflowBody.initial_state,
  states: supportWorkflowBody.states.map((s) => ({
    name: s.name,
    state: s.state,
    next: s.next ?? [],
    resolutions: s.resolutions ?? [],
  })),
};

/**
 * Version 2 of the support workflow: `in_progress` loses `escalate`, `resolve` is renamed `finish`, and a new
 * `waiting` state appears. Tickets created under version 1 keep following version 1.
 */
export const supportWorkflowV2: WorkflowDefinition = {
  ...supportWorkflow,
  states: [
    ...supportWorkflow.states.map((s) =>
      s.state === 'in_progress'
        ? {
            ...s,
            next: [
              { action: 'finish', state: 'resolved', roles: ['agent', 'supervisor'] },
              { action: 'wait', state: 'waiting', roles: ['agent'] },
            ],
          }
        : s,
    ),
    { name: 'Waiting', state: 'waiting', next: [{ action: 'resume', state: 'in_progress', roles: ['agent'] }], resolutions: [] },
  ],
};

/** Dmart's legacy form: string `initial_state`, singular `role`, states without `next`/`resolutions`. */
export const legacyWorkflowBody = {
  name: 'Legacy complaint',
  initial_state: 'new',
  states: [
    { name: 'New', state: 'new', next: [{ action: 'assign', state: 'assigned', role: 'agent' }] },
    { name: 'Assigned', state: 'assigned', next: [{ action: 'done', state: 'done', role: 'agent' }] },
    { name: 'Done', state: 'done', resolutions: ['ok'] },
  ],
};

/** Payload schema of support tickets (draft-7). */
export const complaintSchema: JsonSchema = {
  $id: 'complaint',
  type: 'object',
  required: ['title', 'priority'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1 },
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    email: { type: 'string', format: 'email' },
    details: {
      type: 'object',
      properties: { msisdn: { type: 'string', pattern: '^[0-9]{6,15}$' }, channel: { type: 'string' } },
    },
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Tickets

/** The ticket key most specs use. */
export const TICKET_KEY: ResourceKey = { space_name: SPACE, subpath: 'tickets', shortname: 'a1b2c3d4' };
/** The uuid of the ticket at `TICKET_KEY` (its shortname is the first 8 hex chars, as for `auto`). */
export const TICKET_UUID = 'a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

/** Context holding version 1 of the support workflow (and the complaint schema). */
export const v1Context: TicketContext = { workflow: { version: 1, definition: supportWorkflow }, schema: complaintSchema };
/** Context holding version 2 of the support workflow. */
export const v2Context: TicketContext = { workflow: { version: 2, definition: supportWorkflowV2 }, schema: complaintSchema };

/** A valid complaint payload. */
export const complaintPayload: Payload = {
  content_type: 'json',
  schema_shortname: 'complaint',
  body: { title: 'No signal in Erbil', priority: 2, details: { msisdn: '9647501234567', channel: 'app' } },
};

/** `TicketCreated` of a support ticket created by `by` (an agent -> `in_progress`) at `NOW`, workflow v1. */
export const ticketCreated = (overrides: Partial<TicketCreated['data']> = {}): TicketCreated => ({
  type: 'TicketCreated',
  data: {
    ...TICKET_KEY,
    uuid: TICKET_UUID,
    workflow_shortname: 'support',
    workflow_version: 1,
    state: 'in_progress',
    is_open: true,
    is_active: false,
    tags: ['network'],
    collaborators: {},
    payload: complaintPayload,
    reporter: { name: 'Carol', msisdn: '9647501234567', channel: 'app' },
    owner_shortname: 'alice',
    created_at: NOW,
    ...overrides,
  },
});

/** `TicketProgressed` from `from_state` to `state` with `action` by `actor` at `at`. */
export const ticketProgressed = (
  action: string,
  from_state: string,
  state: string,
  extra: Partial<TicketProgressed['data']> = {},
): TicketProgressed => ({
  type: 'TicketProgressed',
  data: {
    action,
    from_state,
    state,
    is_open: !isClosedState(supportWorkflow, state),
    resolution_reason: null,
    actor: 'alice',
    at: NOW,
    ...extra,
  },
});

/** `TicketLocked` by `holder` at `at` for `seconds`. */
export const ticketLocked = (holder: string, at: string = NOW, seconds = 300): TicketLocked => ({
  type: 'TicketLocked',
  data: { holder, expires_at: later(seconds, at), at },
});
