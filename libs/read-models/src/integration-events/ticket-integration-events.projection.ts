import type { RecordedEvent } from '@tickets/event-store';
import type { CheckpointStore } from '../checkpoints/projection-checkpoints';
import type { ApplyOutcome, Projection } from '../projection';
import { TICKET_STREAM_CATEGORY } from '../tickets/ticket-details.projection';
import type { BatchingPublisher, OutgoingMessage } from './batching-publisher';
import type { TicketFactsTracker } from './ticket-facts.tracker';
import { TICKET_EVENT_SCHEMA, ticketIntegrationEvent, type TicketIntegrationEvent } from './ticket-integration-event';

/** Name of the integration-event projection (metric label, logs). */
export const INTEGRATION_EVENTS_PROJECTION = 'integration-events';

/** Checkpoint name of the integration-event runner for config `PROJECTION_NAME` (docs/integration-events.md). */
export function integrationEventsCheckpoint(projectionName: string): string {
  return `${projectionName}.integration-events`;
}

/**
 * The Kafka message of a public ticket event: key `ticket_path` (one ticket's events stay in order on one
 * partition), JSON value, headers `x-event-id`, `x-event-type`, `x-schema` (`ticket-event.v1`) so consumers can
 * route and de-duplicate without parsing.
 */
export function integrationEventMessage(event: TicketIntegrationEvent): OutgoingMessage {
  return {
    key: event.ticket_path,
    value: JSON.stringify(event),
    headers: {
      'content-type': 'application/json',
      'x-event-id': event.event_id,
      'x-event-type': event.event_type,
      'x-schema': TICKET_EVENT_SCHEMA,
    },
  };
}

/**
 * Publishes one public event per ticket-stream event (docs/integration-events.md) through the one projection
 * runner, under a checkpoint of its own ({@link integrationEventsCheckpoint}), independent of the read model
 * generations: a rebuild neither re-publishes history nor leaves a gap at its switch. `apply` only queues the
 * message (`BatchingPublisher`); the runner's checkpoint store must be wrapped with
 * {@link publishBeforeCheckpoint} so a stored checkpoint never passes an unpublished event (at least once).
 */
export class TicketIntegrationEventsProjection implements Projection {
  readonly name = INTEGRATION_EVENTS_PROJECTION;
  readonly categories = [TICKET_STREAM_CATEGORY] as const;

  constructor(
    private readonly facts: TicketFactsTracker,
    private readonly publisher: Pick<BatchingPublisher, 'enqueue'>,
  ) {}

  async apply(event: RecordedEvent): Promise<ApplyOutcome> {
    const { before, after } = await this.facts.transition(event);
    await this.publisher.enqueue(integrationEventMessage(ticketIntegrationEvent(event, before, after)));
    return 'applied';
  }
}

/**
 * A checkpoint store that first waits until `publisher` has everything queued so far acknowledged, then saves
 * (at-least-once publishing relative to the checkpoint). A failed flush fails the save; the runner logs it and
 * saves again later, and a restart from the older checkpoint re-publishes (consumers de-duplicate by event id).
 */
export function publishBeforeCheckpoint(checkpoints: CheckpointStore, publisher: Pick<BatchingPublisher, 'flush'>): CheckpointStore {
  return {
    load: (name) => checkpoints.load(name),
    async save(name, position) {
      await publisher.flush();
      await checkpoints.save(name, position);
    },
  };
}
