import type { Provider, Type } from '@nestjs/common';
import { DashboardPageController } from './dashboard-page.controller';
import { OpsController, WORKFLOWS_READ_MODEL_PROVIDER } from './ops.controller';
import { SystemStatusService } from './system-status';

/** The ops dashboard's controllers (the page and its reads), for `GatewayModule`. */
export const OPS_CONTROLLERS: Type<unknown>[] = [DashboardPageController, OpsController];

/** Their providers (on the gateway's config, event store, MongoDB connection and tickets read model). */
export const OPS_PROVIDERS: Provider[] = [SystemStatusService, WORKFLOWS_READ_MODEL_PROVIDER];
