import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

/**
 * Keeps a free-form JSON field exactly as the client sent it. class-transformer would otherwise rebuild it and
 * silently drop keys such as `constructor`, `toString` or `prototype` at any depth (user data: a payload body,
 * a workflow or schema definition). The request-limits guard has already bounded its shape.
 */
export const RawJson = () => Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key], { toClassOnly: true });

/**
 * Shortname rule (TICKETS.md section 1; the domain's `SHORTNAME_PATTERN`): 1-64 letters (incl. Arabic, with
 * their combining marks such as diacritics), digits or `_`.
 */
export const SHORTNAME = /^[\p{L}\p{M}\p{N}_]{1,64}$/u;
/**
 * Subpath rule: `/`-separated segments of letters (with marks), digits, `_` or `-`; slashes around are trimmed
 * and repeated ones collapsed (TICKETS.md section 1). `` and `/` are the space root; slashes alone (`//`) are
 * refused rather than read as the root. Same pattern as the envelope schema's `subpath`.
 */
export const SUBPATH = /^(\/?|\/*[\p{L}\p{M}\p{N}_-]+(\/+[\p{L}\p{M}\p{N}_-]+)*\/*)$/u;

export const REQUEST_TYPES = ['create', 'update', 'patch', 'assign', 'delete', 'move'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const RESOURCE_TYPES = ['ticket', 'content', 'schema', 'comment', 'group', 'user', 'space', 'folder'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** One record of a Dmart request (`records[]`). `branch_name` is Dmart's, accepted and ignored. */
export class RecordDto {
  @ApiProperty({ enum: RESOURCE_TYPES })
  @IsIn(RESOURCE_TYPES)
  resource_type!: ResourceType;

  @ApiProperty({ example: 'auto', description: '1-64 letters, digits or _; `auto` lets the system pick one' })
  @IsString()
  @Matches(SHORTNAME, { message: 'shortname must be 1-64 letters, digits or _' })
  shortname!: string;

  @ApiProperty({ example: 'tickets' })
  @IsString()
  @MaxLength(512)
  @Matches(SUBPATH, { message: 'subpath must be /-separated names of letters, digits, _ or -' })
  subpath!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  @RawJson()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Accepted for Dmart compatibility and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  branch_name?: string;
}

/** Body of `POST /managed/request` (Dmart's `Request`). */
export class ManagedRequestDto {
  @ApiProperty({ example: 'damrt_data' })
  @IsString()
  @Matches(SHORTNAME, { message: 'space_name must be 1-64 letters, digits or _' })
  space_name!: string;

  @ApiProperty({ enum: REQUEST_TYPES })
  @IsIn(REQUEST_TYPES)
  request_type!: RequestType;

  @ApiProperty({ type: [RecordDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RecordDto)
  records!: RecordDto[];
}

/** Body of `PUT /managed/progress-ticket/...` (TICKETS.md section 4, progress). */
export class ProgressTicketDto {
  @ApiPropertyOptional({ description: 'A resolution the target state defines (string or object key)' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  resolution?: string;

  @ApiPropertyOptional({ description: 'Stored with the transition, in the same atomic append' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  comment?: string;
}
