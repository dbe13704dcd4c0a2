import { createHash } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { ConcurrencyConflictError, type Decider } from '@tickets/domain';
import {
  ExpectedRevisionConflictError,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
} from '@tickets/event-store';

/** A domain event as deciders produce it. */
export interface DomainEvent {
  readonly type: string;
  readonly data: object;
}

/** Outcome of `handleCommand`. */
export interface HandledCommand<State> {
  /** State after the command (or, for a redelivered command, after the events it produced back then). */
  readonly state: State;
  /** Events this call appended (`[]` for a no-op or a redelivery). */
  readonly appended: readonly DomainEvent[];
  /** True when the stream already held this command's events: a redelivery, nothing was written. */
  readonly redelivered: boolean;
  /** Revision of the stream's last event relevant to this command (`null`: stream still empty). */
  readonly revision: bigint | null;
  /** Global position of the last event relevant to this command (`null` when nothing was ever written). */
  readonly position: bigint | null;
}

export interface HandleCommandOptions<State = unknown> {
  /** Appends retried against fresh state after a revision conflict (config APPEND_MAX_RETRIES). */
  readonly maxRetries: number;
  /** Event metadata (command id, actor, correlation...), identical for every event of the command. */
  readonly metadata: EventMetadata;
  /**
   * Expected revision to use when the stream is empty: `'no_stream'` (default) enforces uniqueness of the
   * key at append (TICKETS.md section 1).
   */
  readonly emptyStreamExpectation?: ExpectedRevision;
  /**
   * Checks the state the decided events lead to, before they are appended; throws (a DomainError) to refuse
   * the command, e.g. a ticket grown beyond its size limit.
   */
  readonly check?: (stateAfter: State) => void;
  /** Receives the time spent in each stage of one attempt, in seconds (metrics). */
  readonly onStage?: (stage: 'read' | 'decide' | 'append', seconds: number) => void;
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/**
 * Deterministic UUID (v4 layout) for the `index`-th event a command appends to a stream: a re-run of the same
 * command (redelivery, retry after a crash) produces the same event ids, so the store's idempotent append
 * turns it into a no-op instead of a duplicate.
 */
export function deterministicUuid(...parts: readonly (string | number)[]): string {
  const random = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  return uuidv4({ random });
}

/**
 * The one application-layer flow (oskardudycz's samples/decider `handleCommand`): read the stream, fold it
 * with `evolve`, build the command from that state, `decide`, append with the expected revision that was read; on a revision conflict re-read
 * and decide again, at most `maxRetries` times.
 *
 * Exactly-once effect: if the stream already holds events caused by this command (`metadata.command_id`),
 * nothing is decided or written and the state as of those events is returned (`redelivered: true`).
 *
 * @throws DomainError from `decide` (a refused command); ConcurrencyConflictError (409) when conflicts
 *   outlast the retries; the store's connection errors unchanged.
 */
export async function handleCommand<State, Cmd, Evt extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Cmd, Evt>,
  /** Builds the command from the state read (e.g. to resolve the workflow version the ticket follows). */
  command: (state: State) => Cmd | Promise<Cmd>,
  options: HandleCommandOptions<State>,
): Promise<HandledCommand<State>> {
  const commandId = options.metadata.command_id;
  const onStage = options.onStage ?? (() => undefined);
  for (let attempt = 0; ; attempt++) {
    let started = process.hrtime.bigint();
    const recorded = await store.readStream(streamId);
    onStage('read', seconds(started));
    const previous = replayUntilCommand(decider, recorded, commandId);
    if (previous) return previous;

    started = process.hrtime.bigint();
    const state = foldRecorded(decider, recorded);
    const built = await command(state); // may read other streams (workflow, schema): counted as decide
    const events = decider.decide(built, state);
    onStage('decide', seconds(started));
    const last = recorded.at(-1);
    if (events.length === 0) {
      return { state, appended: [], redelivered: false, revision: last?.revision ?? null, position: last?.position ?? null };
    }
    const after = events.reduce((s, e) => decider.evolve(s, e), state);
    options.check?.(after);
    const expected: ExpectedRevision = last ? last.revision : (options.emptyStreamExpectation ?? 'no_stream');
    const firstRevision = last ? last.revision + 1n : 0n;
    started = process.hrtime.bigint();
    try {
      const result = await store.append(
        streamId,
        events.map((event, index) => ({
          id: deterministicUuid(commandId, streamId, String(firstRevision), index),
          type: event.type,
          data: event.data as Record<string, unknown>,
          metadata: options.metadata,
        })),
        expected,
      );
      onStage('append', seconds(started));
      return {
        state: after,
        appended: events,
        redelivered: false,
        revision: result.next_expected_revision,
        position: result.position,
      };
    } catch (error) {
      if (!(error instanceof ExpectedRevisionConflictError)) throw error;
      if (attempt >= options.maxRetries) {
        throw new ConcurrencyConflictError(
          `${streamId} kept changing concurrently; gave up after ${attempt + 1} attempts`,
        );
      }
    }
  }
}

/** Folds recorded events (their `type`/`data`) into state. */
export function foldRecorded<State, Evt extends DomainEvent>(
  decider: Pick<Decider<State, never, Evt>, 'evolve' | 'initialState'>,
  recorded: readonly RecordedEvent[],
): State {
  // The store holds only events this decider wrote to this stream, so the cast restores their union type.
  return recorded.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as unknown as Evt), decider.initialState());
}

/** If `recorded` holds events of `commandId`, the outcome as of the last of them; otherwise `null`. */
function replayUntilCommand<State, Evt extends DomainEvent>(
  decider: Pick<Decider<State, never, Evt>, 'evolve' | 'initialState'>,
  recorded: readonly RecordedEvent[],
  commandId: string,
): HandledCommand<State> | null {
  let lastIndex = -1;
  for (let i = recorded.length - 1; i >= 0; i--) {
    if (recorded[i].metadata.command_id === commandId) {
      lastIndex = i;
      break;
    }
  }
  if (lastIndex < 0) return null;
  const upTo = recorded.slice(0, lastIndex + 1);
  const last = upTo[upTo.length - 1];
  return {
    state: foldRecorded(decider, upTo),
    appended: [],
    redelivered: true,
    revision: last.revision,
    position: last.position,
  };
}
