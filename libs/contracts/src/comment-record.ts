/** What {@link commentRecord} needs of a comment: the domain's `TicketComment` and the read model's `CommentRecord` both fit. */
export interface CommentSource {
  readonly uuid: string;
  readonly shortname: string;
  /** Comment text. */
  readonly body: string;
  /** Shortname of the user who wrote it. */
  readonly author: string;
  readonly created_at: string | Date;
  /** The ticket's state when the comment was made. */
  readonly state: string;
}

/**
 * The one shape of a comment wherever this API shows one (the answer to its creation, `retrieve_attachments` of
 * `GET /managed/entry` and of queries): Dmart's comment `Record`
 * `{resource_type: "comment", uuid, shortname, subpath, attributes: {is_active, owner_shortname, created_at,
 * updated_at, payload: {content_type: "comment", body: {body, state}}}}`, `subpath` being the ticket's
 * `subpath/shortname` (where Dmart keeps a ticket's attachments). Dmart's progress endpoint and its web client
 * write comments with that payload; instants are ISO-8601.
 */
export function commentRecord(
  comment: CommentSource,
  ticket: { readonly subpath: string; readonly shortname: string },
) {
  const createdAt = new Date(comment.created_at).toISOString();
  return {
    resource_type: 'comment' as const,
    uuid: comment.uuid,
    shortname: comment.shortname,
    subpath: [ticket.subpath, ticket.shortname].filter(Boolean).join('/'),
    attributes: {
      is_active: true as const,
      owner_shortname: comment.author,
      created_at: createdAt,
      updated_at: createdAt,
      payload: { content_type: 'comment' as const, body: { body: comment.body, state: comment.state } },
    },
  };
}

/** A comment as Dmart's attachment record (see {@link commentRecord}). */
export type CommentRecordView = ReturnType<typeof commentRecord>;

/**
 * The text of a comment's `payload.body` as clients send it: a plain string, or Dmart's `{body: "<text>",
 * state: "<ticket state>"}` (its progress endpoint and web client; `content_type` `comment` or `json`). The
 * sent `state` is not taken: the comment records the ticket's state when it is applied. Anything else is
 * returned unchanged, for the envelope check to refuse with its path.
 */
export function commentText(body: unknown): unknown {
  if (typeof body === 'string') return body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'body' in body)
    return (body as { body: unknown }).body;
  return body;
}
