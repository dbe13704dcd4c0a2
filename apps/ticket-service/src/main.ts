import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Consumer } from 'kafkajs';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@tickets/config';
import { topicNames } from '@tickets/contracts';
import { kafkaBatchServer } from '@tickets/messaging';
import { CommandProcessor } from './commands/command-processor';
import { TicketServiceModule } from './ticket-service.module';

/**
 * Starts ticket-service: the consumer group `KAFKA_COMMANDS_GROUP_ID` on `tickets.commands.v1`, consumed in
 * batches (`KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY` partitions at once; one ticket's commands in order, other
 * tickets' concurrently), plus `/health` and `/metrics` on `BIND_HOST:TICKET_SERVICE_PORT`. SIGTERM stops
 * consuming, lets in-flight commands finish, leaves the group, then closes connections.
 */
async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(TicketServiceModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const server = kafkaBatchServer(config, 'ticket-service', config.KAFKA_COMMANDS_GROUP_ID, {
    fromBeginning: true,
    partitionsConsumedConcurrently: config.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
  });
  const processor = app.get(CommandProcessor);
  // Thin transport adapter (STYLE.md): a partition's batch in, handed to the processor as it is.
  server.onBatch(topicNames(config.KAFKA_TOPIC_PREFIX).commands, (messages) =>
    processor.processBatch(messages),
  );
  app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  // kafkajs restarts its consumer after retriable errors only; after any other crash no command would be
  // processed again while /health stayed green. Exit instead, so the supervisor (k8s, npm start) restarts it.
  const [, consumer] = server.unwrap<[unknown, Consumer]>();
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    app.get(Logger).fatal({ err: payload.error }, 'commands consumer crashed for good; exiting');
    void app.close().finally(() => process.exit(1));
  });
  await app.listen(config.TICKET_SERVICE_PORT, config.BIND_HOST);
}

void bootstrap();
