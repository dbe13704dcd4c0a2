import { Body, Controller, Get, Headers, HttpCode, Inject, Optional, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { normalizeSubpath, resourcePath, ticketView, type CommandResult, type EnvelopeActor } from '@tickets/contracts';
import { NotFoundError, ValidationError } from '@tickets/domain';
import { TicketsReadModel } from '@tickets/read-models';
import type { AppConfig } from '@tickets/config';
import { APP_CONFIG } from '@tickets/platform';
import { CurrentActor, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CommandBus } from '../commands/command-bus';
import { commandIdFor, IDEMPOTENCY_KEY_DOC, parseIdempotencyKey } from '../commands/idempotency';
import { DmartException } from '../errors/dmart-exception';
import { ManagedRequestDto, type RecordDto } from './managed-request.dto';
import { parseTicketPath, translateRecord } from './request-translator';
import { ReadYourWrites } from './read-your-writes';
import { hashPassword } from '../users/passwords';

/**
 * Dmart's managed API (ARCHITECTURE.md "HTTP API"; TICKETS.md): each record of a request becomes its own
 * command; the answer reports each record's outcome in Dmart's shape.
 */
@ApiTags('managed')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('managed')
export class ManagedController {
  constructor(
    private readonly bus: CommandBus,
    private readonly tickets: TicketsReadModel,
    private readonly readYourWrites: ReadYourWrites,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  @Post('request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create, update, patch, assign, delete or move records (Dmart request)' })
  @ApiHeader(IDEMPOTENCY_KEY_DOC)
  async request(
    @Body() request: ManagedRequestDto,
    @CurrentActor() actor: EnvelopeActor,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const key = parseIdempotencyKey(idempotencyKey);
    const correlationId = randomUUID();
    const outcomes = await Promise.all(
      request.records.map((record, index) =>
        this.runRecord(request, record, actor, correlationId, commandIdFor(actor.shortname, key, index)),
      ),
    );
    const failed = outcomes.filter((o): o is RecordFailure => 'error' in o);
    if (failed.length === 0) {
      return { status: 'success', records: outcomes.map((o) => (o as { record: unknown }).record) };
    }
    // A single record answers its own error, with the bus's status (504 time-out, 503 Kafka unavailable).
    if (request.records.length === 1) throw new DmartException(failed[0].error, failed[0].status);
    // TICKETS.md section 6: a multi-record request reports per record what succeeded and what failed.
    throw new DmartException({
      type: 'request',
      code: 430,
      message: `${failed.length} of ${request.records.length} records failed`,
      info: [
        {
          successfull: outcomes.filter((o) => 'record' in o).map((o) => (o as { record: unknown }).record),
          failed: failed.map((f) => ({ record: f.shortname, error: f.error.message, error_code: f.error.code })),
        },
      ],
    });
  }

  @Get('entry/ticket/:space/*path')
  @ApiOperation({ summary: 'Read one ticket (waits, bounded, for the read model to reach your last write)' })
  @ApiQuery({ name: 'retrieve_json_payload', required: false, type: Boolean })
  @ApiQuery({ name: 'retrieve_attachments', required: false, type: Boolean })
  @ApiQuery({ name: 'min_position', required: false, description: 'Wait until the read model reached this position' })
  async entry(
    @Param('space') space: string,
    @Param('path') path: string[] | string,
    @Query('retrieve_json_payload') retrieveJsonPayload?: string,
    @Query('retrieve_attachments') retrieveAttachments?: string,
    @Query('min_position') minPosition?: string,
  ) {
    const key = parseTicketPath(space, path);
    const wait = await this.readYourWrites.waitFor(key, minPosition);
    const doc = await this.tickets.findByKey(key.space_name, key.subpath, key.shortname);
    if (!doc && !wait.reached) {
      // Not found *yet*: the write the reader waits for is not in the read model, so 404 would mislead.
      throw new DmartException(
        {
          type: 'internal',
          code: 99,
          message: `the read model has not caught up to position ${wait.position} yet; retry shortly`,
          info: [{ position: String(wait.position) }],
        },
        503,
      );
    }
    if (!doc) throw new NotFoundError(`ticket ${resourcePath(key)} not found`);
    // Dmart clients send Python's `True`/`False` (pydmart) as well as `true`/`false`.
    const view = ticketView(doc, { retrieveJsonPayload: retrieveJsonPayload?.toLowerCase() !== 'false' });
    if (!isTrue(retrieveAttachments)) return view;
    const { attachments } = this.tickets.toTicketView(doc, { retrieveAttachments: true });
    return attachments ? { ...view, attachments } : view;
  }

  /**
   * Whether the actor's effective roles may hold an admin role: a token role, or a group's (resolved by
   * ticket-service). Without either, ticket-service refuses a user record with 401 anyway, so its password is
   * not worth hashing (argon2 costs ~20 MiB and tens of ms per record).
   */
  private mayBeAdmin(actor: EnvelopeActor): boolean {
    const adminRoles = this.config?.adminRoles;
    return !adminRoles || (actor.groups ?? []).length > 0 || actor.roles.some((role) => adminRoles.includes(role));
  }

  private async runRecord(
    request: ManagedRequestDto,
    record: RecordDto,
    actor: EnvelopeActor,
    correlationId: string,
    commandId: string,
  ): Promise<{ record: unknown } | RecordFailure> {
    let action;
    try {
      // Only the hash of a user's password goes on (command, events); the clear password stops here.
      const password = record.resource_type === 'user' && this.mayBeAdmin(actor) ? record.attributes?.['password'] : undefined;
      const passwordHash = password === undefined ? undefined : await hashPassword(password);
      action = translateRecord(request.space_name, request.request_type, record, actor, correlationId, commandId, { passwordHash });
    } catch (error) {
      if (error instanceof ValidationError) {
        return { shortname: record.shortname, error: { type: 'request', code: error.code, message: error.message } };
      }
      throw error;
    }
    if (action.kind === 'noop') return { record: action.record };
    let result: CommandResult;
    try {
      result = await this.bus.send(action.envelope);
    } catch (error) {
      // A time-out (504) or Kafka being unavailable (503) fails this record only; its message says whether it
      // may still take effect.
      if (error instanceof DmartException) {
        return { shortname: record.shortname, error: error.dmartError, status: error.getStatus() };
      }
      throw error;
    }
    if (result.status !== 'succeeded') {
      return {
        shortname: record.shortname,
        error: result.error ?? { type: 'internal', code: 99, message: `command ${result.status}` },
      };
    }
    return { record: toDmartRecord(record, result) };
  }
}

type DmartErrorShape = NonNullable<CommandResult['error']>;

/** One record's failure; `status` is the HTTP status a single-record request answers (default: by code). */
interface RecordFailure {
  readonly shortname: string;
  readonly error: DmartErrorShape;
  readonly status?: number;
}

/**
 * Dmart's `Record` for a succeeded command: `{resource_type, uuid, shortname, subpath, attributes}` with every
 * other field in attributes. The result's `resource` (a created comment, a definition) wins over its `ticket`;
 * a result with neither (a delete) keeps the record's own `shortname` and `subpath`.
 */
export function toDmartRecord(record: Pick<RecordDto, 'resource_type' | 'shortname' | 'subpath'>, result: CommandResult): Record<string, unknown> {
  const view = result.resource ?? result.ticket ?? {};
  const { uuid, shortname, subpath, ...attributes } = view as Record<string, unknown>;
  return {
    resource_type: record.resource_type,
    ...(uuid ? { uuid } : {}),
    shortname: shortname ?? record.shortname,
    subpath: subpath ?? normalizeSubpath(record.subpath),
    attributes: { ...attributes, ...(result.position ? { position: result.position } : {}) },
  };
}

/** A boolean query parameter as Dmart's clients send it: `true` or Python's `True`. */
function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}
