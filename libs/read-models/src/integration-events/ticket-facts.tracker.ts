import { LRUCache } from 'lru-cache';
import type { EventStore, RecordedEvent } from '@tickets/event-store';
import type { CountedFacts } from '../tickets/ticket-counters';
import { nextTicketFacts } from './ticket-integration-event';

/** The counted facts of a ticket right before and right after one of its events. */
export interface TicketFactsTransition {
  readonly before: CountedFacts | null;
  readonly after: CountedFacts | null;
}

/**
 * Folds each ticket's counted facts from the event store, so the integration events can carry the ticket's
 * summary and the counter deltas without reading any read model (which a rebuild may be replacing). Keeps the
 * facts of recently seen tickets (LRU, `max` tickets, default 100 000): in order, each event costs nothing;
 * after a restart or an eviction, the ticket's stream up to the event is read once and folded.
 */
export class TicketFactsTracker {
  private readonly cache: LRUCache<string, { readonly revision: bigint; readonly facts: CountedFacts | { none: true } }>;

  constructor(
    private readonly store: Pick<EventStore, 'readStream'>,
    options: { readonly max?: number } = {},
  ) {
    this.cache = new LRUCache({ max: options.max ?? 100_000 });
  }

  /**
   * The facts before and after `event` (a ticket-stream event delivered in stream order).
   * @throws the store's error when a stream must be read; RangeError as `nextTicketFacts`.
   */
  async transition(event: RecordedEvent): Promise<TicketFactsTransition> {
    const cached = this.cache.get(event.stream_id);
    let before: CountedFacts | null;
    if (event.revision === 0n) before = null;
    else if (cached && cached.revision === event.revision - 1n) before = 'none' in cached.facts ? null : cached.facts;
    else before = await this.fold(event.stream_id, event.revision);
    const after = nextTicketFacts(before, event);
    this.cache.set(event.stream_id, { revision: event.revision, facts: after ?? { none: true } });
    return { before, after };
  }

  /** The facts after revisions `0 .. revision - 1` of `streamId`. */
  private async fold(streamId: string, revision: bigint): Promise<CountedFacts | null> {
    const events = await this.store.readStream(streamId, { max_count: Number(revision) });
    let facts: CountedFacts | null = null;
    for (const earlier of events) {
      if (earlier.revision >= revision) break;
      facts = nextTicketFacts(facts, earlier);
    }
    return facts;
  }
}
