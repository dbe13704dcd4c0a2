import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { resourcePath, ticketView, type CommandResult, type EnvelopeActor } from '@tickets/contracts';
import { NotFoundError, ValidationError } from '@tickets/domain';
import { TicketsReadModel, type CommentRecord } from '@tickets/read-models';
import { CurrentActor, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CommandBus } from '../commands/command-bus';
import { DmartException } from '../errors/dmart-exception';
import { ManagedRequestDto, type RecordDto } from './managed-request.dto';
import { parseTicketPath, translateRecord } from './request-translator';
import { ReadYourWrites } from './read-your-writes';

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
  ) {}

  @Post('request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create, update, patch, assign, delete or move records (Dmart request)' })
  async request(@Body() request: ManagedRequestDto, @CurrentActor() actor: EnvelopeActor) {
    const correlationId = randomUUID();
    const outcomes = await Promise.all(
      request.records.map((record) => this.runRecord(request, record, actor, correlationId)),
    );
    const failed = outcomes.filter((o) => 'error' in o);
    if (failed.length === 0) {
      return { status: 'success', records: outcomes.map((o) => (o as { record: unknown }).record) };
    }
    if (request.records.length === 1) throw new DmartException((failed[0] as { error: DmartErrorShape }).error);
    // TICKETS.md section 6: a multi-record request reports per record what succeeded and what failed.
    throw new DmartException({
      type: 'request',
      code: 430,
      message: `${failed.length} of ${request.records.length} records failed`,
      info: [
        {
          successfull: outcomes.filter((o) => 'record' in o).map((o) => (o as { record: unknown }).record),
          failed: failed.map((o) => {
            const f = o as { shortname: string; error: DmartErrorShape };
            return { record: f.shortname, error: f.error.message, error_code: f.error.code };
          }),
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
    await this.readYourWrites.waitFor(key, minPosition);
    const doc = await this.tickets.findByKey(key.space_name, key.subpath, key.shortname);
    if (!doc) throw new NotFoundError(`ticket ${resourcePath(key)} not found`);
    const view = ticketView(doc, { retrieveJsonPayload: retrieveJsonPayload !== 'false' });
    return retrieveAttachments === 'true' ? { ...view, attachments: commentAttachments(doc.comments ?? []) } : view;
  }

  private async runRecord(
    request: ManagedRequestDto,
    record: RecordDto,
    actor: EnvelopeActor,
    correlationId: string,
  ): Promise<{ record: unknown } | { shortname: string; error: DmartErrorShape }> {
    let action;
    try {
      action = translateRecord(request.space_name, request.request_type, record, actor, correlationId);
    } catch (error) {
      if (error instanceof ValidationError) {
        return { shortname: record.shortname, error: { type: 'request', code: error.code, message: error.message } };
      }
      throw error;
    }
    if (action.kind === 'noop') return { record: action.record };
    const result: CommandResult = await this.bus.send(action.envelope);
    if (result.status !== 'succeeded') {
      return {
        shortname: record.shortname,
        error: result.error ?? { type: 'internal', code: 99, message: `command ${result.status}` },
      };
    }
    return { record: toDmartRecord(record.resource_type, result) };
  }
}

type DmartErrorShape = NonNullable<CommandResult['error']>;

/** Dmart's `Record`: `{resource_type, uuid, shortname, subpath, attributes}` with every other field in attributes. */
function toDmartRecord(resourceType: string, result: CommandResult): Record<string, unknown> {
  const view = result.ticket ?? result.resource ?? {};
  const { uuid, shortname, subpath, ...attributes } = view as Record<string, unknown>;
  return {
    resource_type: resourceType,
    ...(uuid ? { uuid } : {}),
    shortname,
    subpath,
    attributes: { ...attributes, ...(result.position ? { position: result.position } : {}) },
  };
}

/** Comments as Dmart lists a ticket's attachments (`retrieve_attachments`): `{comment: [Record...]}`. */
function commentAttachments(comments: readonly CommentRecord[]): Record<string, unknown> {
  if (comments.length === 0) return {};
  return {
    comment: comments.map((c) => ({
      resource_type: 'comment',
      uuid: c.uuid,
      shortname: c.shortname,
      attributes: {
        owner_shortname: c.author,
        created_at: new Date(c.created_at).toISOString(),
        state: c.state,
        payload: { content_type: 'comment', body: c.body },
      },
    })),
  };
}
