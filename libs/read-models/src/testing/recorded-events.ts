import type { ResourceKey, TicketCreated, TicketEvent, WorkflowDefined } from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';

/**
 * Test helpers: hand-built `RecordedEvent`s for the projections' specifications (not exported from the
 * library). `EventLog` numbers revisions per stream and positions globally, like a store would.
 */
export class EventLog {
  private position = 0n;
  private readonly revisions = new Map<string, bigint>();
  readonly events: RecordedEvent[] = [];

  /** Records `event` on `streamId` with the next revision and position; `at` is the business time. */
  record<E extends { type: string; data: object }>(streamId: string, event: E, at = '2025-01-01T00:00:00.000Z'): RecordedEvent {
    const revision = this.revisions.has(streamId) ? (this.revisions.get(streamId) as bigint) + 1n : 0n;
    this.revisions.set(streamId, revision);
    this.position += 1n;
    const recorded: RecordedEvent = {
      id: `00000000-0000-4000-8000-${this.position.toString().padStart(12, '0')}`,
      type: event.type,
      data: event.data as Record<string, unknown>,
      metadata: {
        command_id: `cmd-${this.position}`,
        correlation_id: `corr-${this.position}`,
        causation_id: `cmd-${this.position}`,
        actor: 'tester',
        occurred_at: at,
      },
      stream_id: streamId,
      revision,
      position: this.position,
      recorded_at: at,
    };
    this.events.push(recorded);
    return recorded;
  }
}

/** The stream id of a ticket (`streamIds.ticket` of @tickets/contracts). */
export const ticketStream = (key: ResourceKey) => `ticket-${key.space_name}/${key.subpath}/${key.shortname}`;

/** A `TicketCreated` with sensible defaults for `key`. */
export function ticketCreated(key: ResourceKey, overrides: Partial<TicketCreated['data']> = {}): TicketEvent {
  return {
    type: 'TicketCreated',
    data: {
      ...key,
      uuid: `uuid-${key.shortname}`,
      workflow_shortname: 'support',
      workflow_version: 1,
      state: 'new',
      is_open: true,
      is_active: true,
      tags: ['vip'],
      collaborators: {},
      owner_shortname: 'alice',
      created_at: '2025-01-01T00:00:00.000Z',
      displayname: { en: 'A ticket' },
      payload: { content_type: 'json', body: { msg: 'hello' } },
      reporter: { name: 'Rep', msisdn: '9647000000000' },
      ...overrides,
    },
  };
}

/** A `TicketProgressed` from `from_state` to `state` by `actor`. */
export function ticketProgressed(
  from_state: string,
  state: string,
  is_open: boolean,
  extra: { action?: string; actor?: string; resolution_reason?: string | null; comment?: string } = {},
): TicketEvent {
  const action = extra.action ?? `to_${state}`;
  return {
    type: 'TicketProgressed',
    data: {
      action,
      from_state,
      state,
      is_open,
      resolution_reason: extra.resolution_reason ?? null,
      actor: extra.actor ?? 'bob',
      at: '2025-01-02T00:00:00.000Z',
      ...(extra.comment
        ? {
            comment: {
              shortname: `c_${state}`,
              uuid: `uuid-c-${state}`,
              body: extra.comment,
              author: extra.actor ?? 'bob',
              created_at: '2025-01-02T00:00:00.000Z',
              state,
            },
          }
        : {}),
    },
  };
}

/** A `TicketAssigned` to `owner` (and team `group`). */
export function ticketAssigned(owner: string, group?: string, previous = 'alice'): TicketEvent {
  return {
    type: 'TicketAssigned',
    data: {
      owner_shortname: owner,
      ...(group ? { owner_group_shortname: group } : {}),
      previous_owner_shortname: previous,
      by: 'admin',
      at: '2025-01-03T00:00:00.000Z',
    },
  };
}

/** A `WorkflowDefined` of version `version` with states new -> done. */
export function workflowDefined(space_name: string, shortname: string, version: number): WorkflowDefined {
  return {
    type: 'WorkflowDefined',
    data: {
      space_name,
      shortname,
      version,
      definition: {
        name: `${shortname} v${version}`,
        initial_state: [{ name: 'new', roles: ['default'] }],
        states: [
          { name: 'New', state: 'new', next: [{ action: 'close', state: 'done', roles: ['agent'] }], resolutions: [] },
          { name: 'Done', state: 'done', next: [], resolutions: ['fixed', 'v1.2'] },
        ],
      },
      displayname: { en: shortname },
      at: '2025-01-01T00:00:00.000Z',
    },
  };
}
