import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '@tickets/config';

/**
 * Structured JSON logs through pino (nestjs-pino), one line per HTTP request; the level comes from config
 * `LOG_LEVEL`. Authorization headers are redacted, and so is an `access_token` query parameter (the gateway's
 * live streams accept the token there, for EventSource clients that cannot send headers).
 */
export function loggingModule(config: AppConfig, service: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.LOG_LEVEL,
      base: { service },
      redact: ['req.headers.authorization'],
      serializers: { req: maskAccessToken },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    },
  });
}

/** Masks the `access_token` query parameter in a serialized request (pino-http's `req` serializer hook). */
function maskAccessToken(req: { url?: unknown; query?: unknown }) {
  if (typeof req.url === 'string') req.url = req.url.replace(/([?&]access_token=)[^&#]*/g, '$1[Redacted]');
  if (req.query && typeof req.query === 'object' && 'access_token' in req.query) req.query = { ...req.query, access_token: '[Redacted]' };
  return req;
}
