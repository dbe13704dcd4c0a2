import type { AppendOutcome, AppendResult, ExpectedRevision, NewEvent } from './event-store.port';

/**
 * Thrown by `append` when the stream is at the expected revision but an event id of the batch is already
 * stored at another place (another stream, or another revision) or repeated within the batch. Event ids are
 * idempotency keys: reusing one for a different event is a programming error, not a concurrency conflict,
 * so it is not retried by the command handler. (PostgreSQL enforces ids store-wide; EventStoreDB does not
 * and never raises this.)
 */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly stream_id: string,
    readonly event_ids: readonly string[],
  ) {
    super(
      `append to stream ${stream_id}: an event id of [${event_ids.join(', ')}] is already stored elsewhere`,
    );
  }
}

/**
 * Arguments shared by every adapter's `append`: at least one event, and a numeric expected revision >= 0.
 * @throws RangeError otherwise.
 */
export function assertAppendable(events: readonly NewEvent[], expected: ExpectedRevision): void {
  if (events.length === 0) throw new RangeError('append needs at least one event');
  if (typeof expected === 'bigint' && expected < 0n) {
    throw new RangeError(`expected revision must be >= 0, 'no_stream' or 'any'; got ${expected}`);
  }
}

/** Turns one `append` into the settled outcome `appendMany` reports for it (never rejects). */
export async function settleAppend(append: Promise<AppendResult>): Promise<AppendOutcome> {
  try {
    return { ok: true, result: await append };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
