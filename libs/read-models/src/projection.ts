import type { RecordedEvent } from '@tickets/event-store';

/**
 * What applying one event to one read model did (the revision guard of oskardudycz's samples/decider):
 * - `applied`: the document was inserted/updated (its `revision` is now the event's revision);
 * - `duplicate`: the document already reflects this event (replay or redelivery): nothing changed;
 * - `gap`: the document is missing or behind by more than one revision, so the event cannot be applied in
 *   order (e.g. a read model wiped without resetting its checkpoint): nothing changed, logged as an error;
 * - `ignored`: the projection has nothing to do for this event type (it still advances the revision when the
 *   stream has a document, see each projection).
 */
export type ApplyOutcome = 'applied' | 'duplicate' | 'gap' | 'ignored';

/**
 * One read model's projection, driven by the one {@link ProjectionRunner}. `apply` must be idempotent
 * (applying an event twice or out of a replay changes nothing: ARCHITECTURE.md "Read models") and may throw
 * only for transient faults (the runner retries the same event with back-off until it succeeds).
 */
export interface Projection {
  /** Stable name, used in logs and metric labels, e.g. `tickets`. */
  readonly name: string;
  /** Stream categories (see `streamCategory` in @tickets/contracts) whose events this projection receives. */
  readonly categories: readonly string[];
  apply(event: RecordedEvent): Promise<ApplyOutcome>;
}
