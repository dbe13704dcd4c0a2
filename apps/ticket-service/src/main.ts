import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@tickets/config';
import { kafkaOptions } from '@tickets/messaging';
import { TicketServiceModule } from './ticket-service.module';

/**
 * Starts ticket-service: the consumer group `KAFKA_COMMANDS_GROUP_ID` on `tickets.commands.v1` (one
 * partition's commands in order, `KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY` partitions at once), plus
 * `/health` and `/metrics` on `BIND_HOST:TICKET_SERVICE_PORT`. SIGTERM stops consuming, lets in-flight
 * commands finish, then closes connections.
 */
async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(TicketServiceModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.connectMicroservice<MicroserviceOptions>(
    kafkaOptions(config, 'ticket-service', config.KAFKA_COMMANDS_GROUP_ID, {
      fromBeginning: true,
      partitionsConsumedConcurrently: config.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
    }),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.listen(config.TICKET_SERVICE_PORT, config.BIND_HOST);
}

void bootstrap();
