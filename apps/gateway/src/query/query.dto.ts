import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_LIST_LIMIT, MAX_QUERY_LIMIT, MAX_SUMMARY_DAYS, SEARCH_LIMITS } from '@tickets/read-models';
import { SHORTNAME, SUBPATH } from '../managed/managed-request.dto';

/**
 * Shapes of the query endpoints (docs/query-api.md), validated at the edge only (STYLE.md "guarding vs
 * validating"): `POST /managed/query` (Dmart's `Query`, dmart `models/api.py`), `GET /tickets`,
 * `GET /dashboards/{space}/summary`.
 */

/** Query types served here (Dmart's `QueryType` has more; the others are refused with 422). */
export const QUERY_TYPES = ['search', 'subpath', 'counters', 'history'] as const;
/** A served query type. */
export type QueryType = (typeof QUERY_TYPES)[number];

/** A subpath, `/` and `` (the whole space) included: `/`-separated names of letters, digits, `_` or `-`. */

/** Dmart's query parameters this service accepts and does not apply; named in `attributes.ignored_parameters`. */
export const UNAPPLIED_QUERY_PARAMETERS = [
  'include_fields',
  'exclude_fields',
  'highlight_fields',
  'validate_schema',
  'retrieve_lock_status',
  'jq_filter',
  'join',
  'aggregation_data',
] as const;

/** Body of `POST /managed/query` (Dmart's `Query`). */
export class ManagedQueryDto {
  @ApiProperty({ enum: QUERY_TYPES, description: 'search and subpath list tickets; counters: dashboard counts; history: a ticket\'s changes' })
  @IsIn(QUERY_TYPES, { message: `type must be one of ${QUERY_TYPES.join(', ')} (other Dmart query types are not served)` })
  type!: QueryType;

  @ApiProperty({ example: 'damrt_data' })
  @Matches(SHORTNAME, { message: 'space_name must be 1-64 letters, digits or _' })
  space_name!: string;

  @ApiProperty({ example: '/tickets', description: '`/` = the whole space' })
  @IsString()
  @MaxLength(512)
  @Matches(SUBPATH, { message: 'subpath must be /-separated names of letters, digits, _ or -' })
  subpath!: string;

  @ApiPropertyOptional({ default: false, description: 'Only tickets directly at subpath (default: also below it)' })
  @IsOptional()
  @IsBoolean()
  exact_subpath?: boolean;

  @ApiPropertyOptional({ type: [String], description: 'Only these shortnames; for history: the tickets (required)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(SHORTNAME, { each: true, message: 'filter_shortnames must be shortnames' })
  filter_shortnames?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Tickets carrying any of these tags' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  filter_tags?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Resource types; without `ticket` nothing matches' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  filter_types?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Payload schema shortnames; Dmart\'s default `meta` = any' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  filter_schema_names?: string[];

  @ApiPropertyOptional({ example: '@state:new|in_progress -@tags:spam', description: 'Dmart search syntax (docs/query-api.md)' })
  @IsOptional()
  @IsString()
  @MaxLength(SEARCH_LIMITS.maxLength)
  search?: string;

  @ApiPropertyOptional({ example: '2025-01-01T00:00:00Z', description: 'created_at >= from_date (history: timestamp)' })
  @IsOptional()
  @IsISO8601()
  from_date?: string;

  @ApiPropertyOptional({ example: '2025-12-31T23:59:59Z', description: 'created_at <= to_date (history: timestamp)' })
  @IsOptional()
  @IsISO8601()
  to_date?: string;

  @ApiPropertyOptional({ example: 'payload.body.priority', description: 'An attribute, payload.body.<key> or body.<key>' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  sort_by?: string;

  @ApiPropertyOptional({ enum: ['ascending', 'descending'] })
  @IsOptional()
  @IsIn(['ascending', 'descending'])
  sort_type?: 'ascending' | 'descending';

  @ApiPropertyOptional({ default: false, description: 'Include payload.body (Dmart default false)' })
  @IsOptional()
  @IsBoolean()
  retrieve_json_payload?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Include the comments as attachments' })
  @IsOptional()
  @IsBoolean()
  retrieve_attachments?: boolean;

  @ApiPropertyOptional({
    default: true,
    description: 'Count the matches, up to 500 or the end of the page (then attributes.total_is_lower_bound); otherwise -1',
  })
  @IsOptional()
  @IsBoolean()
  retrieve_total?: boolean;

  @ApiPropertyOptional({ default: 10, description: `-1 = ${MAX_QUERY_LIMIT}` })
  @IsOptional()
  @IsInt()
  @Min(-1)
  @Max(MAX_QUERY_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;

  // Dmart's parameters accepted for compatibility, not applied (reported in attributes.ignored_parameters).
  @IsOptional() @Allow() include_fields?: unknown;
  @IsOptional() @Allow() exclude_fields?: unknown;
  @IsOptional() @Allow() highlight_fields?: unknown;
  @IsOptional() @Allow() validate_schema?: unknown;
  @IsOptional() @Allow() retrieve_lock_status?: unknown;
  @IsOptional() @Allow() jq_filter?: unknown;
  @IsOptional() @Allow() join?: unknown;
  @IsOptional() @Allow() aggregation_data?: unknown;
}

/** `a,b` or repeated parameters -> trimmed non-empty strings. */
const toList = ({ value }: { value: unknown }): unknown =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);
/**
 * A query parameter of decimal digits -> that integer; anything else is left as is for `@IsInt` to refuse
 * (`Number()` would read `''` as 0, `0x10` as 16, `1e3` as 1000).
 */
const toInteger = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value);

/** Query of `GET /tickets`: the criteria of `POST /managed/query` plus cursor paging. */
export class TicketListQueryDto {
  @ApiProperty({ example: 'damrt_data' })
  @Matches(SHORTNAME, { message: 'space_name must be 1-64 letters, digits or _' })
  space_name!: string;

  @ApiPropertyOptional({ example: 'tickets', description: 'default: the whole space' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(SUBPATH, { message: 'subpath must be /-separated names of letters, digits, _ or -' })
  subpath?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  exact_subpath?: boolean;

  @ApiPropertyOptional({ description: 'Dmart search syntax (docs/query-api.md)' })
  @IsOptional()
  @IsString()
  @MaxLength(SEARCH_LIMITS.maxLength)
  search?: string;

  @ApiPropertyOptional({ description: 'Comma-separated (or repeated) shortnames' })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(SHORTNAME, { each: true, message: 'filter_shortnames must be shortnames' })
  filter_shortnames?: string[];

  @ApiPropertyOptional({ description: 'Comma-separated (or repeated) tags: tickets carrying any of them' })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  filter_tags?: string[];

  @ApiPropertyOptional({ description: 'created_at >= from_date (ISO-8601)' })
  @IsOptional()
  @IsISO8601()
  from_date?: string;

  @ApiPropertyOptional({ description: 'created_at <= to_date (ISO-8601)' })
  @IsOptional()
  @IsISO8601()
  to_date?: string;

  @ApiPropertyOptional({ default: 20, maximum: MAX_LIST_LIMIT })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_LIST_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc', description: 'by created_at (then _id)' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ type: Boolean, default: false })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  retrieve_json_payload?: boolean;
}

/** Query of `GET /dashboards/{space}/summary`. */
export class DashboardQueryDto {
  @ApiPropertyOptional({ default: 14, minimum: 1, maximum: MAX_SUMMARY_DAYS, description: 'Days of per_day' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_SUMMARY_DAYS)
  days?: number;
}
