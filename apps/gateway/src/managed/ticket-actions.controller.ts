import { Body, Controller, Delete, Headers, HttpCode, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AppConfig } from '@tickets/config';
import type { EnvelopeActor } from '@tickets/contracts';
import { APP_CONFIG } from '@tickets/platform';
import { CurrentActor, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CommandBus } from '../commands/command-bus';
import { commandIdFor, IDEMPOTENCY_KEY_DOC, parseIdempotencyKey } from '../commands/idempotency';
import { DmartException } from '../errors/dmart-exception';
import { ProgressTicketDto } from './managed-request.dto';
import { buildEnvelope, parseTicketPath } from './request-translator';

/**
 * Dmart's ticket endpoints outside `/managed/request` (ARCHITECTURE.md "HTTP API"): progress with a workflow
 * action, and lock / unlock (TICKETS.md section 4). Each becomes one command; with an `Idempotency-Key`
 * header its `command_id` derives from the caller and the key, so a resend has its effect once.
 */
@ApiTags('managed')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('managed')
export class TicketActionsController {
  constructor(
    private readonly bus: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Put('progress-ticket/:space/*path')
  @HttpCode(200)
  @ApiOperation({ summary: 'Progress a ticket: /managed/progress-ticket/{space}/{subpath...}/{shortname}/{action}' })
  @ApiHeader(IDEMPOTENCY_KEY_DOC)
  async progress(
    @Param('space') space: string,
    @Param('path') path: string[] | string,
    @Body() body: ProgressTicketDto,
    @CurrentActor() actor: EnvelopeActor,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const segments = (Array.isArray(path) ? path : path.split('/')).filter(Boolean);
    const action = segments.pop() ?? '';
    const key = parseTicketPath(space, segments);
    const payload = {
      action,
      ...(body.resolution ? { resolution: body.resolution } : {}),
      ...(body.comment ? { comment: body.comment } : {}),
    };
    const ticket = await this.run(buildEnvelope('ProgressTicket', key, actor, payload, undefined, commandId(actor, idempotencyKey)));
    return { status: 'success', records: [ticketRecord(ticket)] };
  }

  @Put('lock/ticket/:space/*path')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lock a ticket for the caller for the lock period (default 300 s)' })
  @ApiHeader(IDEMPOTENCY_KEY_DOC)
  async lock(
    @Param('space') space: string,
    @Param('path') path: string[] | string,
    @CurrentActor() actor: EnvelopeActor,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const key = parseTicketPath(space, path);
    await this.run(buildEnvelope('LockTicket', key, actor, {}, undefined, commandId(actor, idempotencyKey)));
    return { status: 'success', attributes: { message: 'Successfully locked the ticket', lock_period: this.config.LOCK_PERIOD_SECONDS } };
  }

  @Delete('lock/:space/*path')
  @HttpCode(200)
  @ApiOperation({ summary: "Release the caller's lock on a ticket" })
  @ApiHeader(IDEMPOTENCY_KEY_DOC)
  async unlock(
    @Param('space') space: string,
    @Param('path') path: string[] | string,
    @CurrentActor() actor: EnvelopeActor,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const key = parseTicketPath(space, path);
    await this.run(buildEnvelope('UnlockTicket', key, actor, {}, undefined, commandId(actor, idempotencyKey)));
    return { status: 'success', attributes: { message: 'Entry unlocked successfully' } };
  }

  /** Sends the command; a refusal becomes the failure envelope, success yields the ticket view. */
  private async run(envelope: ReturnType<typeof buildEnvelope>): Promise<Record<string, unknown>> {
    const result = await this.bus.send(envelope);
    if (result.status !== 'succeeded') {
      throw new DmartException(result.error ?? { type: 'internal', code: 99, message: `command ${result.status}` });
    }
    return result.ticket ?? {};
  }
}

/** The one command's id: derived from the Idempotency-Key header when sent, random otherwise. */
function commandId(actor: EnvelopeActor, idempotencyKey: string | undefined): string {
  return commandIdFor(actor.shortname, parseIdempotencyKey(idempotencyKey), 0);
}

function ticketRecord(ticket: Record<string, unknown>): Record<string, unknown> {
  const { uuid, shortname, subpath, ...attributes } = ticket;
  return { resource_type: 'ticket', uuid, shortname, subpath, attributes };
}
