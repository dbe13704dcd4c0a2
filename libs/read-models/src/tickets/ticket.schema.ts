import { Schema } from 'mongoose';
import type { Payload, Reporter, Translation } from '@tickets/domain';

/** Collection of the `tickets` read model (docs/read-models.md, v1). */
export const TICKETS_COLLECTION = 'tickets';

/** One entry of `assignment_history` (TICKETS.md section 4, assign: "assignment history is kept"). */
export interface AssignmentRecord {
  readonly owner_shortname: string;
  readonly owner_group_shortname: string | null;
  /** Shortname of the user who assigned. */
  readonly by: string;
  readonly at: Date;
}

/** A comment kept with its ticket (TICKETS.md section 4, comments). */
export interface CommentRecord {
  readonly shortname: string;
  readonly uuid: string;
  readonly body: string;
  readonly author: string;
  readonly created_at: Date;
  /** The ticket's state when the comment was made. */
  readonly state: string;
}

/** The lock of a ticket (TICKETS.md section 4, lock); expired locks stay until unlocked or replaced. */
export interface LockRecord {
  readonly holder: string;
  readonly expires_at: Date;
}

/**
 * A `tickets` document, v1 (docs/read-models.md), as returned by the {@link TicketsReadModel} query API, i.e.
 * with user data decoded. In MongoDB the user-data fields (`displayname`, `description`, `payload`,
 * `reporter`, `collaborators`) are stored encoded (shared/user-data.codec.ts).
 *
 * `_id` is `space_name/subpath/shortname` (the ticket's stream id without its `ticket-` prefix, with an empty
 * subpath collapsed). Times are BSON dates; `revision` is the 0-based stream revision and `last_position` the
 * global log position of the last applied event.
 */
export interface TicketDocument {
  readonly _id: string;
  readonly uuid: string;
  readonly shortname: string;
  readonly space_name: string;
  readonly subpath: string;
  readonly is_active: boolean;
  readonly displayname?: Translation;
  readonly description?: Translation;
  readonly tags: readonly string[];
  readonly payload?: Payload;
  readonly state: string;
  readonly is_open: boolean;
  readonly reporter?: Reporter;
  readonly workflow_shortname: string;
  readonly workflow_version: number;
  /** Map action (or `processed_by`) -> user shortname. */
  readonly collaborators: Readonly<Record<string, string>>;
  readonly resolution_reason: string | null;
  readonly owner_shortname: string;
  readonly owner_group_shortname: string | null;
  readonly assignment_history: readonly AssignmentRecord[];
  readonly lock: LockRecord | null;
  readonly comments: readonly CommentRecord[];
  readonly created_at: Date;
  readonly updated_at: Date;
  /** When the ticket entered a closed state (`null` while open; cleared by a reopen). Since v1.1. */
  readonly closed_at: Date | null;
  readonly revision: number;
  readonly last_position: number;
  /** True once deleted or moved away: the document then disappears from queries but stays for audit. */
  readonly deleted: boolean;
  /** `space/subpath/shortname` the ticket was moved to, or `null`. */
  readonly moved_to: string | null;
  /**
   * (v2.1) `true` while events of the ticket's stream are parked (`parked_events`): the document is not current,
   * it stands at `revision` while the stream has more. Absent otherwise (cleared by the re-apply command).
   */
  readonly parked?: boolean;
}

const assignmentSchema = new Schema(
  {
    owner_shortname: String,
    owner_group_shortname: { type: String, default: null },
    by: String,
    at: Date,
  },
  { _id: false },
);

const commentSchema = new Schema(
  { shortname: String, uuid: String, body: String, author: String, created_at: Date, state: String },
  { _id: false },
);

/**
 * Mongoose schema of `tickets` (v1). It documents the shape and declares the indexes; writes go through the
 * native collection with exact documents (ticket-details.projection.ts).
 */
export const ticketSchema = new Schema(
  {
    _id: { type: String, required: true },
    uuid: String,
    shortname: String,
    space_name: String,
    subpath: String,
    is_active: Boolean,
    displayname: Schema.Types.Mixed,
    description: Schema.Types.Mixed,
    tags: [String],
    payload: Schema.Types.Mixed,
    state: String,
    is_open: Boolean,
    reporter: Schema.Types.Mixed,
    workflow_shortname: String,
    workflow_version: Number,
    collaborators: Schema.Types.Mixed,
    resolution_reason: { type: String, default: null },
    owner_shortname: String,
    owner_group_shortname: { type: String, default: null },
    assignment_history: [assignmentSchema],
    lock: { type: new Schema({ holder: String, expires_at: Date }, { _id: false }), default: null },
    comments: [commentSchema],
    created_at: Date,
    updated_at: Date,
    closed_at: { type: Date, default: null },
    revision: Number,
    last_position: Number,
    deleted: Boolean,
    moved_to: { type: String, default: null },
    parked: Boolean,
  },
  {
    collection: TICKETS_COLLECTION,
    versionKey: false,
    minimize: false,
    autoIndex: false,
    autoCreate: false,
    strict: false,
  },
);

ticketSchema.index({ space_name: 1, subpath: 1 });
ticketSchema.index({ state: 1 });
ticketSchema.index({ is_open: 1 });
ticketSchema.index({ owner_shortname: 1 });
ticketSchema.index({ owner_group_shortname: 1 });
ticketSchema.index({ workflow_shortname: 1 });
ticketSchema.index({ tags: 1 });
ticketSchema.index({ 'reporter.msisdn': 1 });
ticketSchema.index({ created_at: 1 });
// Dashboards: open tickets by age, closed per day.
ticketSchema.index({ space_name: 1, is_open: 1, created_at: 1 });
ticketSchema.index({ space_name: 1, closed_at: 1 });
// (v2.3) Searches and lists of one space walk these in their order (created_at, _id; equality first, then the
// sort: the ESR rule), so a page reads about `limit / selectivity` documents whatever the space's size, instead
// of every match of the most selective single-field index followed by an in-memory sort.
ticketSchema.index({ space_name: 1, created_at: 1, _id: 1 });
ticketSchema.index({ space_name: 1, tags: 1, created_at: 1, _id: 1 });
/** (v2.3) Covers the dashboard's counts of live tickets by `created_at` (no document read per ticket counted). */
export const DASHBOARD_CREATED_INDEX = { space_name: 1, is_open: 1, created_at: 1, deleted: 1 } as const;
ticketSchema.index(DASHBOARD_CREATED_INDEX);
// (v2.3) Closed per day: both branches of the `closed_at`, else `updated_at` dating are bounded by the day.
ticketSchema.index({ space_name: 1, is_open: 1, closed_at: 1, updated_at: 1 });
/**
 * Full-text search of bare words (search/search.filter.ts `$text`): every string value of the document,
 * payload body included, since its keys are the users' own (a wildcard text index; MongoDB has no text index
 * on a sub-document's unknown keys). `default_language: 'none'`: no stemming or stop words, so Arabic, Kurdish
 * and English words are matched alike, as written. `language_override` names a key no stored document can
 * hold (user keys starting with `%` are stored as `%25...`, user-data.codec.ts): with the default
 * (`language`), a payload body `{"language": "klingon"}` would make the document unstorable.
 */
ticketSchema.index(
  { '$**': 'text' },
  { name: 'tickets_text', default_language: 'none', language_override: '%language' },
);
