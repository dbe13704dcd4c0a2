import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@tickets/config';
import { AppModule } from './app.module';

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Port to listen on instead of `PROJECTION_SERVICE_PORT` (tests pass 0 for an ephemeral port). */
  readonly port?: number;
}

/**
 * Creates and starts the projection service: pino logging, shutdown hooks (SIGTERM/SIGINT stop the runner and
 * store its checkpoint), HTTP on `BIND_HOST:PROJECTION_SERVICE_PORT`. Resolves once listening; the runner
 * is already subscribed by then. Used by main.ts and, in-process, by tests.
 * @throws ConfigError/driver errors when a dependency cannot be reached at start-up.
 */
export async function bootstrap(config: AppConfig, options: BootstrapOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.listen(options.port ?? config.PROJECTION_SERVICE_PORT, config.BIND_HOST);
  return app;
}
