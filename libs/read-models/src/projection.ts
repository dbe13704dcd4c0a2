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
 * What the runner did with one (projection, event): an {@link ApplyOutcome}, or `parked` (the projection could
 * not apply it, or an earlier event of its stream is parked: see `ProjectionRunner`).
 */
export type RunnerOutcome = ApplyOutcome | 'parked';

/**
 * One read model's projection, driven by the one {@link ProjectionRunner}. `apply` must be idempotent
 * (applying an event twice or out of a replay changes nothing: ARCHITECTURE.md "Read models"). It throws the
 * driver's error for a transient fault (the runner retries in place, see `isTransientError`) and any other
 * error when the event cannot be applied (the runner parks it).
 */
export interface Projection {
  /** Stable name, used in logs and metric labels, e.g. `tickets`. */
  readonly name: string;
  /** Stream categories (see `streamCategory` in @tickets/contracts) whose events this projection receives. */
  readonly categories: readonly string[];
  apply(event: RecordedEvent): Promise<ApplyOutcome>;
  /**
   * Applies `events` (in position order, all of this projection's categories) all or nothing, resolving one
   * outcome per event in the same order; the same per-event rules as `apply`. Optional: without it the runner
   * calls `apply` per event (then a failure can leave the events before it applied; idempotence makes the
   * retry safe).
   */
  applyBatch?(events: readonly RecordedEvent[]): Promise<ApplyOutcome[]>;
  /**
   * Marks the document of `stream_id` as not current while events of the stream are parked (`parked`), or
   * clears the mark once they are re-applied. Optional (a projection without documents per stream).
   */
  markParked?(stream_id: string, parked: boolean): Promise<void>;
}
