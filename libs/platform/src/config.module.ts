import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';

/** Injection token of the validated `AppConfig`. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Provides the config validated once in `main.ts` (`loadConfig()`, which refuses start-up on invalid
 * variables) to every module of the service.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
