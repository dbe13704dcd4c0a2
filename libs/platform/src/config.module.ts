import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import { topicNames } from '@tickets/contracts';

/** Injection token of the validated `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Injection token of the deployment's `TopicNames` (config `KAFKA_TOPIC_PREFIX`). */
export const KAFKA_TOPICS = Symbol('KAFKA_TOPICS');

/**
 * Provides the config validated once in `main.ts` (`loadConfig()`, which refuses start-up on invalid
 * variables), and the topic names derived from it, to every module of the service.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: KAFKA_TOPICS, useValue: topicNames(config.KAFKA_TOPIC_PREFIX) },
      ],
      exports: [APP_CONFIG, KAFKA_TOPICS],
    };
  }
}
