import { Controller, Get, Param, Query, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { exhaustMap, from, map, timer, type Observable } from 'rxjs';
import { NotFoundError, ValidationError } from '@tickets/domain';
import {
  dashboardActivity,
  MAX_ACTIVITY_HOURS,
  TicketsReadModel,
  WorkflowsReadModel,
} from '@tickets/read-models';
import type { Connection } from 'mongoose';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { LiveAuthGuard } from '../live/live-auth.guard';
import { SHORTNAME } from '../managed/managed-request.dto';
import { SystemStatusService } from './system-status';

/** Interval of `status` events on `GET /ops/status/stream`, in ms. */
export const STATUS_STREAM_INTERVAL_MS = 1000;

/** Query of `GET /dashboards/{space}/activity`. */
export class ActivityQueryDto {
  @ApiPropertyOptional({
    default: 24,
    minimum: 1,
    maximum: MAX_ACTIVITY_HOURS,
    description: 'Hours of per_hour',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_ACTIVITY_HOURS)
  hours?: number;
}

/** The workflows read model on the gateway's connection (live generation, as the tickets read model). */
export const WORKFLOWS_READ_MODEL_PROVIDER = {
  provide: WorkflowsReadModel,
  inject: [getConnectionToken()],
  useFactory: (connection: Connection) => new WorkflowsReadModel(connection),
};

/**
 * The reads the ops dashboard (`/dashboard`) needs beyond the query API: system status (once, or pushed every
 * second as Server-Sent Events), open-ticket ages with hourly throughput, and a workflow definition (the
 * states and transitions the ticket panel shows). docs/query-api.md "Ops dashboard".
 */
@ApiTags('dashboards')
@ApiBearerAuth()
@Controller()
export class OpsController {
  constructor(
    private readonly status: SystemStatusService,
    private readonly tickets: TicketsReadModel,
    private readonly workflows: WorkflowsReadModel,
  ) {}

  @Get('ops/status')
  @UseGuards(JwtAuthGuard)
  @ApiOperation({
    summary: "System status: projection lag and checkpoint, dead-lettered commands, each service's /health",
  })
  @ApiOkResponse({
    description: '`{status: "success", attributes: {generated_at, projection, dead_letters, services}}`',
  })
  async current() {
    return { status: 'success', attributes: await this.status.status() };
  }

  @Sse('ops/status/stream')
  @UseGuards(LiveAuthGuard)
  @ApiOperation({
    summary: 'The system status as Server-Sent Events (`status`, every second)',
    description: 'EventSource cannot send headers: pass the token as `access_token` instead.',
  })
  @ApiQuery({
    name: 'access_token',
    required: false,
    description: 'The bearer token, for clients that cannot send an Authorization header',
  })
  stream(): Observable<MessageEvent> {
    return timer(0, STATUS_STREAM_INTERVAL_MS).pipe(
      exhaustMap(() => from(this.status.status())),
      map((data) => ({ type: 'status', data })),
    );
  }

  @Get('dashboards/:space/activity')
  @UseGuards(JwtAuthGuard)
  @ApiOperation({
    summary: 'Open-ticket ages (<1h ... >30d) and tickets created/closed per hour over the last hours',
  })
  @ApiOkResponse({
    description:
      '`{status: "success", attributes: {space_name, generated_at, open_age: [{bucket, count}], per_hour: [{hour, created, closed}], closed_basis}}`',
  })
  async activity(@Param('space') space: string, @Query() query: ActivityQueryDto) {
    if (!SHORTNAME.test(space)) throw new ValidationError('space must be 1-64 letters, digits or _');
    return {
      status: 'success',
      attributes: await dashboardActivity(this.tickets, space, { now: new Date(), hours: query.hours }),
    };
  }

  @Get('dashboards/:space/workflows/:shortname')
  @UseGuards(JwtAuthGuard)
  @ApiOperation({ summary: 'The latest definition of a workflow (states, transitions with their roles)' })
  @ApiOkResponse({
    description:
      '`{status: "success", attributes: {shortname, version, definition: {name, initial_state, states}}}`',
  })
  async workflow(@Param('space') space: string, @Param('shortname') shortname: string) {
    if (!SHORTNAME.test(space) || !SHORTNAME.test(shortname))
      throw new ValidationError('space and workflow must be 1-64 letters, digits or _');
    const doc = await this.workflows.findByKey(space, shortname);
    if (!doc) throw new NotFoundError(`workflow ${shortname} does not exist`);
    return {
      status: 'success',
      attributes: { shortname: doc.shortname, version: doc.version, definition: doc.definition },
    };
  }
}
