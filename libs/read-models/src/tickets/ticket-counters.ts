import { Schema } from 'mongoose';

/** Collection of the dashboard counters (docs/read-models.md, v1). */
export const TICKET_COUNTERS_COLLECTION = 'ticket_counters';

/**
 * What a counter counts tickets by (ARCHITECTURE.md "Read models": open/closed by state, by assignee, by
 * team, by workflow, per space):
 * - `all`: every live ticket of the space (key `*`);
 * - `state`: by state id; `owner`: by `owner_shortname` (the assignee); `group`: by `owner_group_shortname`
 *   (tickets without a team are not counted here); `workflow`: by `workflow_shortname`.
 */
export type CounterDimension = 'all' | 'state' | 'owner' | 'group' | 'workflow';

/**
 * A `ticket_counters` document, v1: the number of live (not deleted, not moved away) tickets of one space
 * with one value of one dimension, split by `is_open`. `_id` is `space_name/dimension/key`. `last_position`
 * is the global position of the last event that changed it (the counter's own replay guard).
 */
export interface TicketCounterDocument {
  readonly _id: string;
  readonly space_name: string;
  readonly dimension: CounterDimension;
  readonly key: string;
  readonly open: number;
  readonly closed: number;
  readonly last_position: number;
  readonly updated_at: Date;
}

/** The attributes of a ticket the counters depend on; `null` stands for "not counted" (absent or deleted). */
export interface CountedFacts {
  readonly space_name: string;
  readonly state: string;
  readonly is_open: boolean;
  readonly owner_shortname: string;
  readonly owner_group_shortname: string | null;
  readonly workflow_shortname: string;
}

/** A change of one counter document: `open`/`closed` are signed increments. */
export interface CounterDelta {
  readonly _id: string;
  readonly space_name: string;
  readonly dimension: CounterDimension;
  readonly key: string;
  readonly open: number;
  readonly closed: number;
}

/** `_id` of a counter document: `space_name/dimension/key` (the space holds no `/`, so it is unambiguous). */
export function counterId(space_name: string, dimension: CounterDimension, key: string): string {
  return `${space_name}/${dimension}/${key}`;
}

/** The counter facts of a stored ticket document, or `null` when it is not counted (missing or deleted). */
export function countedFactsOf(
  doc: {
    readonly space_name: string;
    readonly state: string;
    readonly is_open: boolean;
    readonly owner_shortname: string;
    readonly owner_group_shortname?: string | null;
    readonly workflow_shortname: string;
    readonly deleted?: boolean;
  } | null,
): CountedFacts | null {
  if (!doc || doc.deleted) return null;
  return {
    space_name: doc.space_name,
    state: doc.state,
    is_open: doc.is_open,
    owner_shortname: doc.owner_shortname,
    owner_group_shortname: doc.owner_group_shortname ?? null,
    workflow_shortname: doc.workflow_shortname,
  };
}

/** The counters one ticket contributes +1 to (one field, `open` or `closed`, per counter). */
export function counterContributions(facts: CountedFacts): CounterDelta[] {
  const open = facts.is_open ? 1 : 0;
  const closed = facts.is_open ? 0 : 1;
  const entries: [CounterDimension, string | null][] = [
    ['all', '*'],
    ['state', facts.state],
    ['owner', facts.owner_shortname],
    ['group', facts.owner_group_shortname],
    ['workflow', facts.workflow_shortname],
  ];
  return entries
    .filter((entry): entry is [CounterDimension, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .map(([dimension, key]) => ({
      _id: counterId(facts.space_name, dimension, key),
      space_name: facts.space_name,
      dimension,
      key,
      open,
      closed,
    }));
}

/**
 * The net counter changes when a ticket's facts go from `before` to `after` (either may be `null`): the
 * contributions of `after` minus those of `before`, merged per counter, zero changes dropped. Pure.
 */
export function counterDeltas(before: CountedFacts | null, after: CountedFacts | null): CounterDelta[] {
  const net = new Map<string, { delta: CounterDelta; open: number; closed: number }>();
  const add = (deltas: CounterDelta[], sign: 1 | -1) => {
    for (const delta of deltas) {
      const entry = net.get(delta._id) ?? { delta, open: 0, closed: 0 };
      entry.open += sign * delta.open;
      entry.closed += sign * delta.closed;
      net.set(delta._id, entry);
    }
  };
  if (before) add(counterContributions(before), -1);
  if (after) add(counterContributions(after), 1);
  return [...net.values()]
    .filter((entry) => entry.open !== 0 || entry.closed !== 0)
    .map(({ delta, open, closed }) => ({ ...delta, open, closed }));
}

/** Mongoose schema of `ticket_counters` (v1); documents the shape and the one index. */
export const ticketCounterSchema = new Schema(
  {
    _id: { type: String, required: true },
    space_name: String,
    dimension: String,
    key: String,
    open: Number,
    closed: Number,
    last_position: Number,
    updated_at: Date,
  },
  { collection: TICKET_COUNTERS_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false },
);

ticketCounterSchema.index({ space_name: 1, dimension: 1 });
