import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '@tickets/config';

/**
 * Structured JSON logs through pino (nestjs-pino), one line per HTTP request; the level comes from config
 * `LOG_LEVEL`. Authorization headers are redacted.
 */
export function loggingModule(config: AppConfig, service: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.LOG_LEVEL,
      base: { service },
      redact: ['req.headers.authorization'],
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    },
  });
}
