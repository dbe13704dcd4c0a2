import { commentRecord, type CommentRecordView } from '@tickets/contracts';
import type { Payload, Reporter, Translation } from '@tickets/domain';
import type { TicketDocument } from './ticket.schema';

/**
 * A ticket in Dmart's entry shape (TICKETS.md section 1: common + ticket attributes), as the gateway serves it
 * from `GET /managed/entry/ticket/...` and queries. Instants are ISO-8601 strings; absent values are omitted,
 * never `null` (Dmart serialises with pydantic's `exclude_none`).
 */
export interface TicketView {
  readonly uuid: string;
  readonly shortname: string;
  readonly subpath: string;
  readonly is_active: boolean;
  readonly displayname?: Translation;
  readonly description?: Translation;
  readonly tags: readonly string[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly owner_shortname: string;
  readonly owner_group_shortname?: string;
  readonly payload?: Payload;
  readonly state: string;
  readonly is_open: boolean;
  readonly reporter?: Reporter;
  readonly workflow_shortname: string;
  readonly collaborators?: Readonly<Record<string, string>>;
  readonly resolution_reason?: string;
  /** Only with `retrieveAttachments` and at least one comment: Dmart's attachments map (resource type -> records). */
  readonly attachments?: { readonly comment: readonly CommentAttachmentView[] };
}

/** A comment as a Dmart attachment record: contracts' `commentRecord`, the one comment shape of the API. */
export type CommentAttachmentView = CommentRecordView;

/** Options of {@link toTicketView}, after Dmart's entry query parameters. */
export interface TicketViewOptions {
  /** `retrieve_json_payload`: include `payload.body` (default `true`). */
  readonly retrieveJsonPayload?: boolean;
  /** `retrieve_attachments`: include the comments under `attachments.comment` (default `false`). */
  readonly retrieveAttachments?: boolean;
}

/**
 * Maps a decoded `tickets` document (as returned by `TicketsReadModel`) to {@link TicketView}, honouring
 * Dmart's `retrieve_json_payload`/`retrieve_attachments` (see {@link TicketViewOptions}). `null`/
 * `undefined` are dropped at the top level and inside `displayname`, `description`, `reporter` and `payload`
 * (Dmart's models); user JSON (`payload.body`, `reporter.channel_address`) is returned as stored. Pure.
 */
export function toTicketView(doc: TicketDocument, options: TicketViewOptions = {}): TicketView {
  const payload = doc.payload && options.retrieveJsonPayload === false ? { ...doc.payload, body: undefined } : doc.payload;
  const comments = options.retrieveAttachments ? (doc.comments ?? []) : [];
  return withoutNulls({
    uuid: doc.uuid,
    shortname: doc.shortname,
    subpath: doc.subpath,
    is_active: doc.is_active,
    displayname: doc.displayname ? withoutNulls(doc.displayname) : undefined,
    description: doc.description ? withoutNulls(doc.description) : undefined,
    tags: [...(doc.tags ?? [])],
    created_at: toIso(doc.created_at),
    updated_at: toIso(doc.updated_at),
    owner_shortname: doc.owner_shortname,
    owner_group_shortname: doc.owner_group_shortname,
    payload: payload ? withoutNulls(payload) : undefined,
    state: doc.state,
    is_open: doc.is_open,
    reporter: doc.reporter ? withoutNulls(doc.reporter) : undefined,
    workflow_shortname: doc.workflow_shortname,
    collaborators: doc.collaborators ? { ...doc.collaborators } : undefined,
    resolution_reason: doc.resolution_reason,
    attachments:
      comments.length > 0
        ? { comment: comments.map((c) => commentRecord(c, doc)) }
        : undefined,
  }) as TicketView;
}

function toIso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function withoutNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;
}
