import { escapeKey } from '../shared/user-data.codec';

/**
 * The whitelist of ticket attributes a search, a filter or a sort may name (Dmart's attribute names, TICKETS.md
 * section 1), with where each is stored in a `tickets` document (docs/read-models.md, v1) and how its values
 * compare. Only paths produced here ever reach a MongoDB filter or sort as keys; user-data keys are escaped with
 * `escapeKey` segment by segment, so no user text can become an operator or a path outside the whitelist.
 */

/**
 * How a field's values compare:
 * - `string`: exact text, wildcards are case-insensitive patterns, comparisons and ranges are by text;
 * - `boolean`: `true`/`false` (any case); anything else matches nothing;
 * - `date`: an ISO-8601 instant or a prefix of one (`2025`, `2025-04`, `2025-04-28`, `2025-04-28T12`, ...), the
 *   whole period it names (UTC unless it carries an offset); anything else matches nothing;
 * - `user_data`: JSON the client sent (payload body, reporter channel address): a number-like value also
 *   matches the number, `true`/`false` also the boolean, a date-like value also longer instants of that prefix.
 */
export type FieldKind = 'string' | 'boolean' | 'date' | 'user_data';

/** A resolved field: its kind and the stored path(s); several paths mean "any of them" (e.g. `displayname`). */
export interface ResolvedField {
  readonly kind: FieldKind;
  readonly paths: readonly string[];
}

/** Attributes stored at their own name (Dmart name = stored path). A `Map`: no inherited keys (`constructor`). */
const TOP_LEVEL: ReadonlyMap<string, FieldKind> = new Map(Object.entries({
  shortname: 'string',
  uuid: 'string',
  space_name: 'string',
  subpath: 'string',
  state: 'string',
  workflow_shortname: 'string',
  owner_shortname: 'string',
  owner_group_shortname: 'string',
  resolution_reason: 'string',
  tags: 'string',
  is_active: 'boolean',
  is_open: 'boolean',
  created_at: 'date',
  updated_at: 'date',
} satisfies Record<string, FieldKind>));

/** Objects with known string members; naming the object alone means "any of its members". */
const OBJECTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['displayname', ['en', 'ar', 'ku']],
  ['description', ['en', 'ar', 'ku']],
  ['reporter', ['type', 'name', 'channel', 'distributor', 'governorate', 'msisdn']],
  ['payload', ['content_type', 'schema_shortname']],
]);

/** User-data subtrees: `<prefix>.<key>[.<key>...]`, each key escaped as stored. */
const USER_DATA_PREFIXES = ['payload.body', 'reporter.channel_address'] as const;

/** Most key segments a user-data path may have after its prefix. */
const MAX_USER_DATA_DEPTH = 8;

/**
 * Resolves a Dmart attribute name (as written after `@`, or in `sort_by`) to its stored path(s), or `null` when
 * it is not a searchable ticket attribute (the caller ignores it and reports it, as Dmart ignores unknown
 * fields). Accepted: the attributes above; `displayname[.en|.ar|.ku]`, `description[...]`;
 * `reporter[.type|.name|.channel|.distributor|.governorate|.msisdn]`; `reporter.channel_address.<key...>`;
 * `collaborators.<action>`; `payload.content_type`, `payload.schema_shortname`, `payload.body.<key...>`.
 * A leading `attributes.` (Dmart's record shape) is dropped. Pure.
 */
export function resolveTicketField(name: string): ResolvedField | null {
  const field = name.startsWith('attributes.') ? name.slice('attributes.'.length) : name;
  const top = TOP_LEVEL.get(field);
  if (top) return { kind: top, paths: [field] };
  const members = OBJECTS.get(field);
  if (members) return { kind: 'string', paths: members.map((m) => `${field}.${m}`) };
  const dot = field.indexOf('.');
  if (dot < 0) return null;
  const head = field.slice(0, dot);
  const rest = field.slice(dot + 1);
  if (OBJECTS.get(head)?.includes(rest)) return { kind: 'string', paths: [field] };
  if (head === 'collaborators') {
    return isKeySegment(rest) ? { kind: 'string', paths: [`collaborators.${escapeKey(rest)}`] } : null;
  }
  for (const prefix of USER_DATA_PREFIXES) {
    if (!field.startsWith(`${prefix}.`)) continue;
    const keys = field.slice(prefix.length + 1).split('.');
    if (keys.length > MAX_USER_DATA_DEPTH || !keys.every(isKeySegment)) return null;
    return { kind: 'user_data', paths: [`${prefix}.${keys.map(escapeKey).join('.')}`] };
  }
  return null;
}

/**
 * The stored path to sort by for a Dmart `sort_by` (`created_at`, `payload.body.priority`, `@state`,
 * `attributes.state`, Dmart's `body.x` shortcut for `payload.body.x`), or `null` when it names no single
 * sortable attribute. Pure.
 */
export function resolveSortPath(sortBy: string): string | null {
  let name = sortBy.trim().replace(/^@/u, '');
  if (name.startsWith('attributes.')) name = name.slice('attributes.'.length);
  if (name.startsWith('body.')) name = `payload.${name}`;
  const resolved = resolveTicketField(name);
  return resolved && resolved.paths.length === 1 ? resolved.paths[0] : null;
}

/** A key segment of a user-data path: non-empty, and not `*` (Dmart's "any key", which MongoDB cannot express). */
function isKeySegment(segment: string): boolean {
  return segment !== '' && segment !== '*';
}
