import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Consumer } from 'kafkajs';
import { Logger } from 'nestjs-pino';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@tickets/config';
import { topicNames } from '@tickets/contracts';
import { kafkaServer, onTopic } from '@tickets/messaging';
import { CommandBus } from './commands/command-bus';
import { configureHttpEdge } from './errors/http-edge';
import { GatewayModule } from './gateway.module';
import { AdminBootstrap } from './users/admin-bootstrap';

/**
 * Starts the gateway: HTTP on `BIND_HOST:GATEWAY_PORT`, OpenAPI UI at `/docs` (JSON at `/docs-json`), and a
 * consumer of `tickets.command-results.v1` in a consumer group of its own (every replica sees every result),
 * starting at the latest offset.
 */
async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureHttpEdge(app);
  app.enableShutdownHooks();
  const resultsGroup = `gateway-${hostname()}-${randomUUID()}`;
  const results = kafkaServer(config, 'gateway', resultsGroup, { fromBeginning: false, maxWaitTimeInMs: 500 });
  const bus = app.get(CommandBus);
  onTopic(results, topicNames(config.KAFKA_TOPIC_PREFIX).commandResults, (value) => bus.onResult(value));
  app.connectMicroservice({ strategy: results }, { inheritAppConfig: true });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tickets gateway')
      .setDescription(
        'Dmart-compatible ticket API: see docs/dmart-compatibility.md (the API, its fixes and decisions) and docs/query-api.md (queries)',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  await app.startAllMicroservices();
  // "Latest" offsets are resolved by the consumer's first fetch: wait for it so that no result of a command
  // sent through this replica can be produced before its consumer is positioned.
  const [, consumer] = results.unwrap<[unknown, Consumer]>();
  await new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.FETCH, () => {
      remove();
      resolve();
    });
  });
  await app.listen(config.GATEWAY_PORT, config.BIND_HOST);
  await app.get(AdminBootstrap).run();
}

void bootstrap();
