import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { normalizeSubpath } from '@tickets/contracts';
import { NotFoundError, ValidationError } from '@tickets/domain';
import {
  historyRecord,
  resolveLimit,
  ticketHistory,
  TicketDashboard,
  TicketSearch,
  type TicketCriteria,
} from '@tickets/read-models';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { ManagedQueryDto, UNAPPLIED_QUERY_PARAMETERS } from './query.dto';
import { ignoredAttributes, parseInstant, ticketRecord } from './query-records';
import { TicketHistoryReader } from './ticket-history.reader';

/** Most tickets one `type: history` query may name in `filter_shortnames`. */
const MAX_HISTORY_TICKETS = 50;

/**
 * Dmart's `POST /managed/query` (ARCHITECTURE.md "HTTP API"; docs/query-api.md), served from the MongoDB read
 * models and, for history, from the event store:
 * - `search` and `subpath`: tickets matching the criteria and Dmart's search syntax, one page, with the total;
 * - `counters`: the incrementally kept dashboard counters of the space (`attributes.counters`);
 * - `history`: the changes of the tickets named in `filter_shortnames` as Dmart history records.
 * Answer: `{status: "success", records, attributes: {total, returned, ...}}`, as Dmart's.
 */
@ApiTags('managed')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('managed')
export class ManagedQueryController {
  constructor(
    private readonly search: TicketSearch,
    private readonly dashboard: TicketDashboard,
    private readonly history: TicketHistoryReader,
  ) {}

  @Post('query')
  @HttpCode(200)
  @ApiOperation({ summary: 'Query tickets: search, subpath, counters or history (Dmart query; syntax in docs/query-api.md)' })
  @ApiOkResponse({ description: '`{status: "success", records: [Record], attributes: {total, returned, ignored_fields?, ...}}`' })
  async query(@Body() query: ManagedQueryDto) {
    const ignored_parameters = UNAPPLIED_QUERY_PARAMETERS.filter((name) => query[name] !== undefined && query[name] !== null);
    switch (query.type) {
      case 'search':
      case 'subpath':
        return this.tickets(query, ignored_parameters);
      case 'counters':
        return this.counters(query, ignored_parameters);
      case 'history':
        return this.histories(query, ignored_parameters);
      default: {
        const _: never = query.type;
        return _;
      }
    }
  }

  private async tickets(query: ManagedQueryDto, ignored_parameters: readonly string[]) {
    const result = await this.search.search(criteriaOf(query), {
      limit: query.limit,
      offset: query.offset,
      sort_by: query.sort_by,
      sort_type: query.sort_type,
      retrieve_total: query.retrieve_total,
    });
    const options = { retrieveJsonPayload: query.retrieve_json_payload === true, retrieveAttachments: query.retrieve_attachments === true };
    return {
      status: 'success',
      records: result.documents.map((doc) => ticketRecord(doc, options)),
      attributes: {
        total: result.total,
        // Only when counting stopped at its bound (docs/query-api.md "Totals").
        ...(result.total_is_lower_bound ? { total_is_lower_bound: true } : {}),
        returned: result.documents.length,
        ...ignoredAttributes({ ignored_fields: result.ignored_fields, ignored_terms: result.ignored_terms, ignored_parameters }),
      },
    };
  }

  /**
   * Counters are per space and O(1); `total` is their sum, or, when the query narrows the tickets (subpath,
   * search, filters, dates), the count of the matching tickets (Dmart's `counters` answers that count).
   */
  private async counters(query: ManagedQueryDto, ignored_parameters: readonly string[]) {
    const criteria = criteriaOf(query);
    const narrowed =
      normalizeSubpath(query.subpath) !== '' ||
      !!query.search?.trim() ||
      !!query.filter_shortnames?.length ||
      !!query.filter_tags?.length ||
      !!query.filter_types?.length ||
      !!query.filter_schema_names?.filter((name) => name !== 'meta').length ||
      !!query.from_date ||
      !!query.to_date;
    const [counters, matching] = await Promise.all([
      this.dashboard.counters(query.space_name),
      narrowed ? this.search.search(criteria, { limit: 0 }) : Promise.resolve(null),
    ]);
    return {
      status: 'success',
      records: [],
      attributes: {
        total: matching ? matching.total : counters.all.open + counters.all.closed,
        ...(matching?.total_is_lower_bound ? { total_is_lower_bound: true } : {}),
        returned: 0,
        counters,
        ...ignoredAttributes({
          ignored_fields: matching?.ignored_fields ?? [],
          ignored_terms: matching?.ignored_terms ?? [],
          ignored_parameters,
        }),
      },
    };
  }

  /**
   * History records of the tickets in `filter_shortnames` at `subpath`, in event order (`sort_type:
   * descending`: newest first), `from_date`/`to_date` on the timestamp, then `offset`/`limit`.
   */
  private async histories(query: ManagedQueryDto, ignored_parameters: readonly string[]) {
    const shortnames = query.filter_shortnames ?? [];
    if (shortnames.length === 0 || shortnames.length > MAX_HISTORY_TICKETS) {
      throw new ValidationError(`a history query names its tickets in filter_shortnames (1 to ${MAX_HISTORY_TICKETS})`);
    }
    const subpath = normalizeSubpath(query.subpath);
    const from = query.from_date ? parseInstant('from_date', query.from_date).getTime() : -Infinity;
    const to = query.to_date ? parseInstant('to_date', query.to_date).getTime() : Infinity;
    const perTicket = await Promise.all(
      shortnames.map(async (shortname) => {
        const key = { space_name: query.space_name, subpath, shortname };
        try {
          return ticketHistory(await this.history.events(key)).map((entry) => ({ entry, key }));
        } catch (error) {
          if (error instanceof NotFoundError) return [];
          throw error;
        }
      }),
    );
    const entries = perTicket
      .flat()
      .filter(({ entry }) => Date.parse(entry.timestamp) >= from && Date.parse(entry.timestamp) <= to)
      .sort((a, b) => compareBigint(a.entry.position, b.entry.position));
    if (query.sort_type === 'descending') entries.reverse();
    const offset = query.offset ?? 0;
    const page = entries.slice(offset, offset + resolveLimit(query.limit));
    const notApplied = [...ignored_parameters, ...(query.search ? ['search'] : []), ...(query.sort_by ? ['sort_by'] : [])];
    return {
      status: 'success',
      records: page.map(({ entry, key }) => historyRecord(entry, key)),
      attributes: {
        total: query.retrieve_total === false ? -1 : entries.length,
        returned: page.length,
        ...ignoredAttributes({ ignored_parameters: notApplied }),
      },
    };
  }
}

/** The ticket criteria of a Dmart query. @throws ValidationError (422) for a date that is not an instant */
function criteriaOf(query: ManagedQueryDto): TicketCriteria {
  return {
    space_name: query.space_name,
    subpath: query.subpath,
    exact_subpath: query.exact_subpath,
    filter_shortnames: query.filter_shortnames,
    filter_tags: query.filter_tags,
    filter_types: query.filter_types,
    filter_schema_names: query.filter_schema_names,
    from_date: query.from_date ? parseInstant('from_date', query.from_date) : undefined,
    to_date: query.to_date ? parseInstant('to_date', query.to_date) : undefined,
    search: query.search,
  };
}

function compareBigint(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
