import { randomUUID } from 'node:crypto';
import { streamIds } from '@tickets/contracts';
import {
  evolveTicket,
  initialTicketState,
  parseWorkflow,
  ticketDecider,
  type Actor,
  type ResolvedWorkflow,
  type ResourceKey,
  type TicketCommand,
  type TicketState,
} from '@tickets/domain';
import type { NewEvent, RecordedEvent } from '@tickets/event-store';

/**
 * Test helper (not exported from the library): runs ticket **commands** through the domain's own decider, as
 * ticket-service's `handleCommand` does, and records the events like a store would (revisions per stream,
 * global positions, metadata with the actor and the command's time). Specs feed the events to the projection,
 * to a real event store, or to the history functions.
 */
export class TicketCommandLog {
  readonly events: RecordedEvent[] = [];
  private position = 0n;
  private readonly revisions = new Map<string, bigint>();
  private readonly states = new Map<string, TicketState>();

  constructor(readonly workflow: ResolvedWorkflow = { version: 1, definition: parseWorkflow(SUPPORT_WORKFLOW) }) {}

  /** The state of `key`'s stream after the commands so far. */
  state(key: ResourceKey): TicketState {
    return this.states.get(streamIds.ticket(key)) ?? initialTicketState();
  }

  /**
   * Decides `command` (its `data.context` is filled with this log's workflow) on `key` at `now` by `actor` and
   * records the events. Returns them; `[]` when the command changed nothing.
   * @throws the decider's DomainError when the command is refused (nothing recorded)
   */
  run(key: ResourceKey, type: TicketCommand['type'], data: Record<string, unknown>, actor: Actor, now: string): RecordedEvent[] {
    const stream = streamIds.ticket(key);
    const command_id = randomUUID();
    const command = {
      type,
      data: { ...key, ...data, context: { workflow: this.workflow } },
      metadata: { command_id, actor, now },
    } as unknown as TicketCommand;
    let state = this.state(key);
    const decided = ticketDecider.decide(command, state);
    const recorded = decided.map((event, i) => {
      const revision = this.revisions.has(stream) ? (this.revisions.get(stream) as bigint) + 1n : 0n;
      this.revisions.set(stream, revision);
      this.position += 1n;
      state = evolveTicket(state, event);
      const newEvent: NewEvent = {
        id: randomUUID(),
        type: event.type,
        data: event.data as unknown as Record<string, unknown>,
        metadata: { command_id, correlation_id: `corr-${command_id}`, causation_id: command_id, actor: actor.shortname, occurred_at: now, index: i },
      };
      return { ...newEvent, stream_id: stream, revision, position: this.position, recorded_at: now };
    });
    this.states.set(stream, state);
    this.events.push(...recorded);
    return recorded;
  }
}

/**
 * The workflow the specs use: new -> in_progress -> resolved -> closed, new -> rejected; resolved may reopen.
 * `closed` and `rejected` have no transitions, so they are closed states (TICKETS.md section 4).
 */
export const SUPPORT_WORKFLOW = {
  name: 'Support',
  initial_state: [{ name: 'new', roles: ['default'] }],
  states: [
    {
      name: 'New',
      state: 'new',
      next: [
        { action: 'start', state: 'in_progress', roles: ['agent'] },
        { action: 'reject', state: 'rejected', roles: ['agent'] },
      ],
    },
    { name: 'In progress', state: 'in_progress', next: [{ action: 'resolve', state: 'resolved', roles: ['agent'] }] },
    {
      name: 'Resolved',
      state: 'resolved',
      next: [
        { action: 'reopen', state: 'in_progress', roles: ['agent'] },
        { action: 'close', state: 'closed', roles: ['agent'] },
      ],
      resolutions: ['fixed', 'wont_fix'],
    },
    { name: 'Rejected', state: 'rejected', next: [], resolutions: ['duplicate'] },
    { name: 'Closed', state: 'closed', next: [] },
  ],
};

/** An agent (may do every transition of {@link SUPPORT_WORKFLOW}). */
export const agent = (shortname: string): Actor => ({ shortname, roles: ['logged_in', 'agent'], groups: [] });
