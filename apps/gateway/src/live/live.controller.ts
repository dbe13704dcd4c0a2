import { Controller, Param, Sse, UseGuards, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { ValidationError } from '@tickets/domain';
import { SHORTNAME } from '../managed/managed-request.dto';
import { LiveAuthGuard } from './live-auth.guard';
import { LiveUpdates } from './live-updates';

/**
 * `GET /live/{space}`: Server-Sent Events of the space's ticket changes and dashboard counter deltas, pushed
 * within about a second of the change (source: `tickets.events.v1`, see {@link LiveUpdates} for the events).
 * Any authenticated user may watch a space, as any may read its tickets.
 */
@ApiTags('live')
@ApiBearerAuth()
@UseGuards(LiveAuthGuard)
@Controller('live')
export class LiveController {
  constructor(private readonly live: LiveUpdates) {}

  @Sse(':space')
  @ApiOperation({
    summary: 'Live ticket changes and counter deltas of a space (text/event-stream)',
    description:
      'Events: `snapshot` (the space\'s counters, first), `ticket` (a public ticket event, docs/integration-events.md), ' +
      '`counters` (`{space_name, event_id, position, deltas}`), `heartbeat` (every 15 s). ' +
      'EventSource cannot send headers: pass the token as `access_token` instead.',
  })
  @ApiParam({ name: 'space', description: 'space_name' })
  @ApiQuery({ name: 'access_token', required: false, description: 'The bearer token, for clients that cannot send an Authorization header' })
  stream(@Param('space') space: string): Observable<MessageEvent> {
    if (!SHORTNAME.test(space)) throw new ValidationError('space must be 1-64 letters, digits or _');
    return this.live.stream(space);
  }
}
