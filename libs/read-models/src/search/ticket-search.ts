import type { FilterQuery } from 'mongoose';
import type { TicketDocument } from '../tickets/ticket.schema';
import type { TicketsReadModel } from '../tickets/tickets.read-model';
import {
  afterCursor,
  criteriaFingerprint,
  decodeCursor,
  encodeCursor,
  resolveLimit,
  ticketFilter,
  ticketSort,
  type ListOrder,
  type SortType,
  type TicketCriteria,
} from './ticket-query';

/** Paging of a Dmart search (`POST /managed/query`, types `search` and `subpath`). */
export interface SearchPage {
  /** Dmart's `limit`: default 10, `-1` = 10 000 (the maximum). */
  readonly limit?: number;
  /** Documents to skip (Dmart's `offset`); default 0. */
  readonly offset?: number;
  readonly sort_by?: string;
  readonly sort_type?: SortType;
  /**
   * Count the matches (Dmart's `retrieve_total`, default true), up to {@link totalCountBound}; otherwise `total`
   * is -1, as in Dmart.
   */
  readonly retrieve_total?: boolean;
}

/**
 * Matches a search counts at most for its `total` (docs/query-api.md "Totals"): counting costs one index entry,
 * and usually one document, per match, so an exact total over a large result would cost in proportion to the
 * read model's size. 500 = 50 pages of Dmart's default 10; the worst case, a filter that the index in use does
 * not narrow and that few tickets pass (1 in 100), reads 500 x 100 documents.
 */
export const TOTAL_COUNT_LIMIT = 500;

/**
 * The most matches a search's `total` counts: {@link TOTAL_COUNT_LIMIT}, or the end of the page asked for when
 * it lies further (so a page the client reached never reports fewer matches than the documents before it).
 */
export function totalCountBound(offset: number, limit: number): number {
  return Math.max(TOTAL_COUNT_LIMIT, offset + limit);
}

/** A page of search results: decoded documents, the total (-1 when not asked for) and what was ignored. */
export interface SearchResult {
  readonly documents: readonly TicketDocument[];
  /** The number of matches, counted up to {@link totalCountBound}; -1 when not asked for. */
  readonly total: number;
  /** `true` when counting stopped at the bound: at least `total` tickets match (maybe more). */
  readonly total_is_lower_bound: boolean;
  /** Unknown fields named by the search or `sort_by`, as written (Dmart ignores them too). */
  readonly ignored_fields: readonly string[];
  /** Malformed search terms skipped by the parser, as written. */
  readonly ignored_terms: readonly string[];
}

/** Paging of a cursor-paginated list (`GET /tickets`). */
export interface ListPage {
  /** Page size, 1..1000; default 20. */
  readonly limit?: number;
  /** `next_cursor` of the previous page; absent for the first page. */
  readonly cursor?: string;
  /** `desc` (default): newest first. */
  readonly order?: ListOrder;
}

/** A page of a list: documents, the cursor of the next page (`null` on the last page), what was ignored. */
export interface ListResult {
  readonly documents: readonly TicketDocument[];
  readonly next_cursor: string | null;
  readonly ignored_fields: readonly string[];
  readonly ignored_terms: readonly string[];
}

/** Largest page of {@link TicketSearch.list}. */
export const MAX_LIST_LIMIT = 1000;

/**
 * Ticket queries on the `tickets` read model, through {@link TicketsReadModel}'s `find`/`count` (which return
 * decoded live documents, whichever collection is live): Dmart-style offset pages with a total, and
 * cursor-paginated lists on (created_at, _id) for dashboards and tools. Bare words of a search use the
 * tickets' text index (`$text`; search.filter.ts), which `TicketsReadModel.ensureIndexes` creates.
 */
export class TicketSearch {
  constructor(private readonly tickets: TicketsReadModel) {}

  /**
   * One Dmart page: `criteria` filtered, sorted by `sort_by`/`sort_type`, `offset`/`limit` applied.
   * @throws ValidationError (422) when the search exceeds the parser's limits
   */
  async search(criteria: TicketCriteria, page: SearchPage = {}): Promise<SearchResult> {
    const plan = ticketFilter(criteria);
    const { sort, ignored_sort_by } = ticketSort(page.sort_by, page.sort_type);
    const limit = resolveLimit(page.limit);
    const filter = plan.filter as FilterQuery<TicketDocument>;
    const offset = Math.max(0, Math.trunc(page.offset ?? 0));
    const bound = totalCountBound(offset, limit);
    const [documents, total] = await Promise.all([
      // `limit(0)` means "no limit" to MongoDB: a page of 0 is answered without a read.
      limit === 0 ? Promise.resolve([]) : this.tickets.find(filter, { sort, skip: offset, limit }),
      page.retrieve_total === false ? Promise.resolve(-1) : this.tickets.count(filter, { limit: bound }),
    ]);
    return {
      documents,
      total,
      total_is_lower_bound: total >= bound,
      ignored_fields: ignored_sort_by ? [...plan.ignored_fields, ignored_sort_by] : plan.ignored_fields,
      ignored_terms: plan.ignored_terms,
    };
  }

  /**
   * One page of a list in (created_at, _id) order, after `page.cursor`. The cursor is opaque, bound to the
   * criteria and the order, and stays valid while tickets are added (no offsets: no skipped or repeated
   * tickets when new ones arrive between pages).
   * @throws ValidationError (422) for a malformed cursor, or one issued for other criteria or another order
   */
  async list(criteria: TicketCriteria, page: ListPage = {}): Promise<ListResult> {
    const order = page.order ?? 'desc';
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(page.limit ?? 20)));
    const plan = ticketFilter(criteria);
    const fingerprint = criteriaFingerprint(criteria);
    const filter = page.cursor
      ? { $and: [plan.filter, afterCursor(decodeCursor(page.cursor, order, fingerprint), order)] }
      : plan.filter;
    const direction = order === 'desc' ? -1 : 1;
    const found = await this.tickets.find(filter as FilterQuery<TicketDocument>, {
      sort: { created_at: direction, _id: direction },
      limit: limit + 1,
    });
    const documents = found.slice(0, limit);
    const last = documents[documents.length - 1];
    const next_cursor =
      found.length > limit && last
        ? encodeCursor({ created_at: new Date(last.created_at), id: last._id }, order, fingerprint)
        : null;
    return { documents, next_cursor, ignored_fields: plan.ignored_fields, ignored_terms: plan.ignored_terms };
  }
}
