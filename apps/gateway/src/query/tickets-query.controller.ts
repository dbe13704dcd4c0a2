import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { resourcePath, ticketView } from '@tickets/contracts';
import { NotFoundError, ValidationError, type ResourceKey } from '@tickets/domain';
import { historyRecord, ticketAsOf, ticketHistory, TicketSearch, type AsOfPoint } from '@tickets/read-models';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { parseTicketPath } from '../managed/request-translator';
import { TicketListQueryDto } from './query.dto';
import { ignoredAttributes, parseInstant, ticketRecord } from './query-records';
import { TicketHistoryReader } from './ticket-history.reader';

/**
 * REST reads for dashboards and tools (docs/query-api.md), behind the JWT guard:
 * - `GET /tickets`: the filters of `POST /managed/query` with cursor pagination on (created_at, _id);
 * - `GET /tickets/{space}/{subpath...}/{shortname}/history`: the ticket's history records, oldest first;
 * - `GET /tickets/{space}/{subpath...}/{shortname}?as_of=|position=`: the ticket as it was, folded from its events.
 * A ticket whose shortname is `history` is read through `GET /managed/entry/...`: the last segment `history`
 * always means the history.
 */
@ApiTags('tickets')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('tickets')
export class TicketsQueryController {
  constructor(
    private readonly search: TicketSearch,
    private readonly history: TicketHistoryReader,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List tickets with Dmart filters and search; cursor pagination (next_cursor)' })
  @ApiOkResponse({ description: '`{status: "success", records: [Record], attributes: {returned, next_cursor, ignored_fields?}}`' })
  async list(@Query() query: TicketListQueryDto) {
    const result = await this.search.list(
      {
        space_name: query.space_name,
        subpath: query.subpath,
        exact_subpath: query.exact_subpath,
        search: query.search,
        filter_shortnames: query.filter_shortnames,
        filter_tags: query.filter_tags,
        from_date: query.from_date ? parseInstant('from_date', query.from_date) : undefined,
        to_date: query.to_date ? parseInstant('to_date', query.to_date) : undefined,
      },
      { limit: query.limit, cursor: query.cursor, order: query.order },
    );
    return {
      status: 'success',
      records: result.documents.map((doc) => ticketRecord(doc, { retrieveJsonPayload: query.retrieve_json_payload === true })),
      attributes: {
        returned: result.documents.length,
        next_cursor: result.next_cursor,
        ...ignoredAttributes({ ignored_fields: result.ignored_fields, ignored_terms: result.ignored_terms }),
      },
    };
  }

  @Get(':space/*path')
  @ApiOperation({
    summary:
      'A ticket as of a time or position (…/{shortname}?as_of=ISO|position=n; neither: its latest state from the event store), ' +
      'or its history (…/{shortname}/history)',
  })
  @ApiParam({ name: 'path', description: '{subpath...}/{shortname} or {subpath...}/{shortname}/history' })
  @ApiQuery({ name: 'as_of', required: false, description: 'ISO-8601 instant: the last event at or before it (business time)' })
  @ApiQuery({ name: 'position', required: false, description: 'Global event position: the last event at or before it' })
  @ApiOkResponse({ description: 'as of: `{status, records: [Record with attributes.revision/position/as_of]}`; history: `{status, records: [history Record], attributes: {total, returned}}`' })
  async read(
    @Param('space') space: string,
    @Param('path') path: string[] | string,
    @Query('as_of') asOf?: string,
    @Query('position') position?: string,
  ) {
    const segments = (Array.isArray(path) ? path : path.split('/')).filter(Boolean);
    if (segments.length >= 2 && segments[segments.length - 1] === 'history') {
      if (asOf !== undefined || position !== undefined) throw new ValidationError('history takes neither as_of nor position');
      const key = parseTicketPath(space, segments.slice(0, -1));
      const records = ticketHistory(await this.history.events(key)).map((entry) => historyRecord(entry, key));
      return { status: 'success', records, attributes: { total: records.length, returned: records.length } };
    }
    const key = parseTicketPath(space, segments);
    const point = asOfPoint(asOf, position);
    const events = await this.history.events(key);
    const found = ticketAsOf(events, point ?? { position: events[events.length - 1].position });
    return { status: 'success', records: [asOfRecord(key, found, asOf, position)] };
  }
}

/** The point of `as_of`/`position` (at most one), or `null` for "latest". @throws ValidationError (422) */
function asOfPoint(asOf: string | undefined, position: string | undefined): AsOfPoint | null {
  if (asOf !== undefined && position !== undefined) throw new ValidationError('give as_of or position, not both');
  if (asOf !== undefined) return { as_of: parseInstant('as_of', asOf) };
  if (position !== undefined) {
    if (!/^\d{1,20}$/u.test(position)) throw new ValidationError('position must be a non-negative integer');
    return { position: BigInt(position) };
  }
  return null;
}

/**
 * The Dmart record of the ticket as folded, with `attributes.revision`, `position` (of the last event folded)
 * and `as_of` (its business time).
 * @throws NotFoundError (220) when the ticket did not exist then, was deleted or had moved away
 */
function asOfRecord(key: ResourceKey, found: ReturnType<typeof ticketAsOf>, asOf?: string, position?: string): Record<string, unknown> {
  const when = asOf !== undefined ? ` as of ${asOf}` : position !== undefined ? ` at position ${position}` : '';
  const path = resourcePath(key);
  if (!found || found.state.status === 'absent') throw new NotFoundError(`ticket ${path} did not exist${when}`);
  if (found.state.status === 'deleted') throw new NotFoundError(`ticket ${path} was deleted${when}`);
  if (found.state.status === 'moved') {
    const to = resourcePath(found.state.to);
    throw new NotFoundError(`ticket ${path} had moved to ${to}${when}`, [{ moved_to: to }]);
  }
  const { uuid, shortname, subpath, ...attributes } = ticketView(found.state);
  return {
    resource_type: 'ticket',
    uuid,
    shortname,
    subpath,
    attributes: { ...attributes, revision: found.revision, position: found.position, as_of: found.at },
  };
}
