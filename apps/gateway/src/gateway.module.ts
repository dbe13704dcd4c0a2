import { Module, type DynamicModule } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { JwtModule } from '@nestjs/jwt';
import { getConnectionToken, MongooseModule } from '@nestjs/mongoose';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig } from '@tickets/config';
import { kafkaPublisherProvider } from '@tickets/messaging';
import {
  ConfigModule,
  DependencyChecks,
  EventStoreModule,
  loggingModule,
  MetricsModule,
} from '@tickets/platform';
import { AliasedGeneration, ReadModelAliases, TicketsReadModel } from '@tickets/read-models';
import type { Connection } from 'mongoose';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { CommandBus } from './commands/command-bus';
import { HealthController } from './health/health.controller';
import { ManagedController } from './managed/managed.controller';
import { TicketActionsController } from './managed/ticket-actions.controller';
import { ReadYourWrites } from './managed/read-your-writes';
import { QUERY_CONTROLLERS, QUERY_PROVIDERS } from './query/query.providers';
import { LiveAuthGuard } from './live/live-auth.guard';
import { LiveController } from './live/live.controller';
import { LiveEventsConsumer } from './live/live-events.consumer';
import { LiveUpdates } from './live/live-updates';
import { ExternalTokenVerifier } from './auth/external-token.verifier';
import { AdminBootstrap } from './users/admin-bootstrap';
import { LoginThrottle } from './users/login-throttle';
import { UserDirectory } from './users/user-directory';
import { UsersController } from './users/users.controller';
import { HttpMetricsModule } from './ops/http-metrics';
import { OPS_CONTROLLERS, OPS_PROVIDERS } from './ops/ops.providers';

/** The gateway: Dmart's HTTP API in, commands to Kafka, queries from the MongoDB read models. */
@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(config, 'gateway'),
        MetricsModule,
        HttpMetricsModule,
        TerminusModule,
        EventStoreModule,
        MongooseModule.forRoot(config.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }),
        JwtModule.register({
          // A key object, not the string: given a string, jsonwebtoken first tries to parse it as a PEM public
          // key on every verify (a thrown OpenSSL error, about 1 ms of CPU per request).
          secret: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')),
          signOptions: { algorithm: 'HS256' },
          verifyOptions: { algorithms: ['HS256'] },
        }),
      ],
      controllers: [
        ManagedController,
        TicketActionsController,
        HealthController,
        ...QUERY_CONTROLLERS,
        LiveController,
        UsersController,
        ...OPS_CONTROLLERS,
      ],
      providers: [
        kafkaPublisherProvider('gateway'),
        {
          provide: TicketsReadModel,
          inject: [getConnectionToken()],
          // The live read model generation, re-read every READ_MODEL_ALIAS_TTL_MS (follows a rebuild's switch).
          useFactory: (c: Connection) =>
            new TicketsReadModel(c, new AliasedGeneration(new ReadModelAliases(c), { ttlMs: config.READ_MODEL_ALIAS_TTL_MS })),
        },
        CommandBus,
        ReadYourWrites,
        JwtAuthGuard,
        DependencyChecks,
        ...QUERY_PROVIDERS,
        LiveUpdates,
        LiveEventsConsumer,
        LiveAuthGuard,
        UserDirectory,
        ExternalTokenVerifier,
        LoginThrottle,
        AdminBootstrap,
        ...OPS_PROVIDERS,
      ],
    };
  }
}
