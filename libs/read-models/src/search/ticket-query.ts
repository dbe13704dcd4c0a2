import { createHash } from 'node:crypto';
import { normalizeSubpath } from '@tickets/contracts';
import { ValidationError } from '@tickets/domain';
import { parseSearch } from './search.parser';
import { escapeRegex, MATCH_NOTHING, searchFilter, type MongoFilter } from './search.filter';
import { resolveSortPath } from './ticket-fields';

/**
 * What a ticket query asks for, after Dmart's `Query` (dmart `models/api.py`), minus paging: the one place the
 * criteria of `POST /managed/query` (search, subpath) and `GET /tickets` become a MongoDB filter on `tickets`.
 */
export interface TicketCriteria {
  readonly space_name: string;
  /** `tickets`, `/tickets/`, `a/b`; `/` or empty = the whole space. Normalised like every subpath. */
  readonly subpath?: string;
  /** Only tickets directly at `subpath`; otherwise also those below it (Dmart's default). */
  readonly exact_subpath?: boolean;
  /** Only these shortnames (empty = no restriction). */
  readonly filter_shortnames?: readonly string[];
  /** Tickets carrying any of these tags (Dmart: `tags IN (...)`; empty = no restriction). */
  readonly filter_tags?: readonly string[];
  /** Payload schemas (`payload.schema_shortname`); Dmart's default `meta` means no restriction. */
  readonly filter_schema_names?: readonly string[];
  /** Dmart resource types; given without `ticket`, nothing matches (only tickets live here). */
  readonly filter_types?: readonly string[];
  /** `created_at >= from_date` (inclusive, as Dmart). */
  readonly from_date?: Date;
  /** `created_at <= to_date` (inclusive, as Dmart). */
  readonly to_date?: Date;
  /** Dmart search syntax (docs/query-api.md). */
  readonly search?: string;
}

/** A criteria's filter, and what of the search was ignored (unknown fields, malformed terms). */
export interface TicketFilterPlan {
  readonly filter: MongoFilter;
  readonly ignored_fields: readonly string[];
  readonly ignored_terms: readonly string[];
}

/**
 * The MongoDB filter of `criteria` on the stored `tickets` shape (docs/read-models.md, v1), live tickets only
 * being the read model's own concern (`TicketsReadModel.find`/`count` add `deleted: {$ne: true}`). Pure.
 * @throws ValidationError (422) when the search exceeds the parser's limits (search.parser.ts)
 */
export function ticketFilter(criteria: TicketCriteria): TicketFilterPlan {
  const parts: MongoFilter[] = [{ space_name: criteria.space_name }];
  const subpath = normalizeSubpath(criteria.subpath ?? '');
  if (criteria.exact_subpath) parts.push({ subpath });
  else if (subpath !== '') {
    // The subpath itself or anything below it; an anchored prefix, with the user's text escaped.
    parts.push({ $or: [{ subpath }, { subpath: { $regex: `^${escapeRegex(subpath)}/` } }] });
  }
  if (criteria.filter_types?.length && !criteria.filter_types.includes('ticket')) parts.push(MATCH_NOTHING);
  if (criteria.filter_shortnames?.length) parts.push({ shortname: { $in: [...criteria.filter_shortnames] } });
  if (criteria.filter_tags?.length) parts.push({ tags: { $in: [...criteria.filter_tags] } });
  const schemas = (criteria.filter_schema_names ?? []).filter((name) => name !== 'meta');
  if (schemas.length) parts.push({ 'payload.schema_shortname': { $in: schemas } });
  if (criteria.from_date || criteria.to_date) {
    parts.push({
      created_at: {
        ...(criteria.from_date ? { $gte: criteria.from_date } : {}),
        ...(criteria.to_date ? { $lte: criteria.to_date } : {}),
      },
    });
  }
  let ignored_fields: readonly string[] = [];
  let ignored_terms: readonly string[] = [];
  if (criteria.search && criteria.search.trim() !== '') {
    const parsed = parseSearch(criteria.search);
    const built = searchFilter(parsed.root);
    if (Object.keys(built.filter).length > 0) parts.push(built.filter);
    ignored_fields = built.ignored_fields;
    ignored_terms = parsed.ignored_terms;
  }
  return { filter: parts.length === 1 ? parts[0] : { $and: parts }, ignored_fields, ignored_terms };
}

/** Dmart's `sort_type`. */
export type SortType = 'ascending' | 'descending';

/** A sort on stored paths, always ending with `_id` so that equal keys keep one order across pages. */
export interface TicketSort {
  readonly sort: Readonly<Record<string, 1 | -1>>;
  /** `sort_by` as given when it names no sortable attribute (the default order is used then). */
  readonly ignored_sort_by?: string;
}

/**
 * The sort of a Dmart query: `sort_by` (an attribute, `payload.body.<key>`, Dmart's `body.<key>`) in
 * `sort_type` order (default ascending, as Dmart's SQL mode); without a usable `sort_by`, newest first
 * (`created_at` descending). Pure.
 */
export function ticketSort(sortBy?: string, sortType?: SortType): TicketSort {
  const path = sortBy ? resolveSortPath(sortBy) : null;
  if (!path) {
    const direction = sortType === 'ascending' ? 1 : -1;
    return { sort: { created_at: direction, _id: direction }, ...(sortBy ? { ignored_sort_by: sortBy } : {}) };
  }
  const direction = sortType === 'descending' ? -1 : 1;
  return { sort: path === '_id' ? { _id: direction } : { [path]: direction, _id: direction } };
}

/** Dmart's `max_query_limit` (settings): what `limit: -1` means, and the largest page. */
export const MAX_QUERY_LIMIT = 10_000;

/**
 * Dmart's `limit`: `-1` means {@link MAX_QUERY_LIMIT}; other values are clamped to `0..MAX_QUERY_LIMIT`. Pure.
 */
export function resolveLimit(limit: number | undefined, fallback = 10): number {
  if (limit === undefined) return fallback;
  if (limit === -1) return MAX_QUERY_LIMIT;
  return Math.max(0, Math.min(MAX_QUERY_LIMIT, Math.trunc(limit)));
}

// ---------------------------------------------------------------------------------------------------------------
// Cursor pagination on (created_at, _id)

/** Order of a cursor-paginated list: `desc` = newest first. */
export type ListOrder = 'asc' | 'desc';

/** Where a page ends: the last ticket's `created_at` and `_id`. */
export interface CursorPosition {
  readonly created_at: Date;
  readonly id: string;
}

interface CursorPayload {
  readonly v: 1;
  readonly t: number;
  readonly i: string;
  readonly o: ListOrder;
  readonly q: string;
}

/**
 * A short fingerprint of the criteria (SHA-256 of their canonical JSON, 16 hex chars), stored in a cursor so
 * that a cursor is only accepted with the query it came from. Pure.
 */
export function criteriaFingerprint(criteria: TicketCriteria): string {
  const canonical = JSON.stringify({
    s: criteria.space_name,
    p: normalizeSubpath(criteria.subpath ?? ''),
    x: criteria.exact_subpath ?? false,
    n: criteria.filter_shortnames ?? [],
    t: criteria.filter_tags ?? [],
    m: criteria.filter_schema_names ?? [],
    y: criteria.filter_types ?? [],
    f: criteria.from_date?.toISOString() ?? null,
    u: criteria.to_date?.toISOString() ?? null,
    q: criteria.search ?? '',
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** An opaque cursor (base64url JSON) for the page after `position`. Pure. */
export function encodeCursor(position: CursorPosition, order: ListOrder, fingerprint: string): string {
  const payload: CursorPayload = { v: 1, t: position.created_at.getTime(), i: position.id, o: order, q: fingerprint };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * The position a cursor stands for.
 * @throws ValidationError (422) when the cursor is malformed, or was issued for another order or other criteria
 */
export function decodeCursor(cursor: string, order: ListOrder, fingerprint: string): CursorPosition {
  const invalid = (why: string) => new ValidationError(`invalid cursor: ${why}`);
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/u.test(cursor)) throw invalid('not a cursor of this API');
  let payload: Partial<CursorPayload>;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorPayload>;
  } catch {
    throw invalid('not a cursor of this API');
  }
  if (
    payload?.v !== 1 ||
    typeof payload.t !== 'number' ||
    !Number.isFinite(payload.t) ||
    typeof payload.i !== 'string' ||
    payload.i.length > 512 ||
    (payload.o !== 'asc' && payload.o !== 'desc')
  ) {
    throw invalid('not a cursor of this API');
  }
  if (payload.o !== order) throw invalid(`it was issued for order=${payload.o}`);
  if (payload.q !== fingerprint) throw invalid('it was issued for other filters; start again without a cursor');
  return { created_at: new Date(payload.t), id: payload.i };
}

/** Tickets strictly after `position` in `order` on (created_at, _id). Pure. */
export function afterCursor(position: CursorPosition, order: ListOrder): MongoFilter {
  const op = order === 'desc' ? '$lt' : '$gt';
  return {
    $or: [{ created_at: { [op]: position.created_at } }, { created_at: position.created_at, _id: { [op]: position.id } }],
  };
}
