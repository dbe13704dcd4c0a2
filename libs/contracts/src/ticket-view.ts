/** What `ticketView` needs: the attributes shared by the domain's `ActiveTicket` and the read model's document. */
export interface TicketViewSource {
  readonly uuid: string;
  readonly shortname: string;
  readonly subpath: string;
  readonly is_active: boolean;
  readonly displayname?: unknown;
  readonly description?: unknown;
  readonly tags: readonly string[];
  readonly created_at: string | Date;
  readonly updated_at: string | Date;
  readonly owner_shortname: string;
  readonly owner_group_shortname?: string | null;
  readonly payload?: { readonly content_type: string; readonly schema_shortname?: string | null; readonly body?: unknown } | null;
  readonly state: string;
  readonly is_open: boolean;
  readonly reporter?: unknown;
  readonly workflow_shortname: string;
  readonly collaborators?: Readonly<Record<string, string>> | null;
  readonly resolution_reason?: string | null;
}

/** Options of `ticketView`, as Dmart's entry/query flags. */
export interface TicketViewOptions {
  /** Include `payload.body` (Dmart `retrieve_json_payload`; default true). */
  readonly retrieveJsonPayload?: boolean;
}

/**
 * A ticket in the shape Dmart's `GET /managed/entry/ticket/...` answers (its `Meta`, with `exclude_none`):
 * `{uuid, shortname, subpath, is_active, displayname?, description?, tags, created_at, updated_at (ISO-8601),
 * owner_shortname, owner_group_shortname?, payload?, state, is_open, reporter?, workflow_shortname,
 * collaborators?, resolution_reason?}`. Used for command results and for reads, so both look the same.
 */
export function ticketView(source: TicketViewSource, options: TicketViewOptions = {}): Record<string, unknown> {
  const payload =
    source.payload && options.retrieveJsonPayload === false
      ? { content_type: source.payload.content_type, schema_shortname: source.payload.schema_shortname }
      : source.payload;
  const view: Record<string, unknown> = {
    uuid: source.uuid,
    shortname: source.shortname,
    subpath: source.subpath,
    is_active: source.is_active,
    displayname: source.displayname,
    description: source.description,
    tags: [...source.tags],
    created_at: new Date(source.created_at).toISOString(),
    updated_at: new Date(source.updated_at).toISOString(),
    owner_shortname: source.owner_shortname,
    owner_group_shortname: source.owner_group_shortname,
    payload,
    state: source.state,
    is_open: source.is_open,
    reporter: source.reporter,
    workflow_shortname: source.workflow_shortname,
    collaborators: source.collaborators,
    resolution_reason: source.resolution_reason,
  };
  return dropEmpty(view) as Record<string, unknown>;
}

/** Removes `null`/`undefined` members recursively (Dmart's `exclude_none`). */
function dropEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropEmpty);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, dropEmpty(v)]),
  );
}
