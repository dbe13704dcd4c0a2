import { Inject, Injectable } from '@nestjs/common';
import { normalizeSubpath, resourcePath, streamIds } from '@tickets/contracts';
import { NotFoundError, type ResourceKey } from '@tickets/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@tickets/event-store';
import { isTicketEvent } from '@tickets/read-models';

/**
 * Reads a ticket's event stream from the event store (the provider `EVENT_STORE` of `EventStoreModule`) for the
 * history and as-of reads (TICKETS.md section 7): history is computed from the events themselves, never from the
 * read model, so it holds every change, also of deleted tickets.
 */
@Injectable()
export class TicketHistoryReader {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * The ticket events of `key`'s stream, oldest first.
   * @throws NotFoundError (220) when the stream holds no ticket event (the ticket never existed at that key)
   */
  async events(key: ResourceKey): Promise<RecordedEvent[]> {
    const normalized = { ...key, subpath: normalizeSubpath(key.subpath) };
    const events = await this.store.readStream(streamIds.ticket(normalized));
    if (!events.some(isTicketEvent)) throw new NotFoundError(`ticket ${resourcePath(normalized)} not found`);
    return events;
  }
}
