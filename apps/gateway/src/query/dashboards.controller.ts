import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ValidationError } from '@tickets/domain';
import { TicketDashboard } from '@tickets/read-models';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { SHORTNAME } from '../managed/managed-request.dto';
import { DashboardQueryDto } from './query.dto';

/**
 * `GET /dashboards/{space}/summary` (docs/query-api.md): the space's counters by state, open/closed, assignee,
 * team and workflow (from the incrementally kept counters), the age of open tickets in buckets, and tickets
 * created and closed per day for the last `days` days. "Now" is the gateway's clock at the request.
 */
@ApiTags('dashboards')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('dashboards')
export class DashboardsController {
  constructor(private readonly dashboard: TicketDashboard) {}

  @Get(':space/summary')
  @ApiOperation({ summary: 'Dashboard summary of a space: counters, open-ticket ages, created/closed per day' })
  @ApiOkResponse({
    description:
      '`{status: "success", attributes: {space_name, generated_at, counters: {all, state, owner, group, workflow}, ' +
      'open_age: {"<1d", "1-7d", "7-30d", ">30d"}, per_day: [{date, created, closed}], closed_basis}}`',
  })
  async summary(@Param('space') space: string, @Query() query: DashboardQueryDto) {
    if (!SHORTNAME.test(space)) throw new ValidationError('space must be 1-64 letters, digits or _');
    return { status: 'success', attributes: await this.dashboard.summary(space, { now: new Date(), days: query.days }) };
  }
}
