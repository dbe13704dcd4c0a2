import { ValidationPipe, type ValidationError as ClassValidatorError } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { JSON_LIMITS } from '@tickets/contracts';
import { ValidationError } from '@tickets/domain';
import { RequestLimitsGuard } from '../managed/request-limits.guard';
import { DmartExceptionFilter } from './dmart-exception.filter';

/**
 * The gateway's HTTP edge, in the order a request meets it (used by main.ts and by specs that run the app):
 * 1. the JSON body parser, limited to `JSON_LIMITS.requestMaxBytes` (413);
 * 2. `RequestLimitsGuard` (global, before every controller guard and pipe): depth, sizes, keys (422/413);
 * 3. the validation pipe: DTO shapes, no implicit type conversion (a number where a string is expected is
 *    refused, not coerced), unknown properties stripped; failures are `ValidationError` (422) naming each path;
 * 4. `DmartExceptionFilter`: every error as Dmart's envelope.
 * Call before `app.init()`/`listen()`.
 */
export function configureHttpEdge(app: NestExpressApplication): void {
  app.useBodyParser('json', { limit: JSON_LIMITS.requestMaxBytes });
  app.useGlobalGuards(new RequestLimitsGuard());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      exceptionFactory: (errors) => {
        const flat = flatten(errors);
        return new ValidationError(
          `invalid request: ${flat.map((e) => `${e.path}: ${e.messages.join(', ')}`).join('; ')}`,
          flat.map((e) => ({ path: e.path, messages: e.messages })),
        );
      },
    }),
  );
  app.useGlobalFilters(new DmartExceptionFilter());
}

interface FlatError {
  path: string;
  messages: string[];
}

function flatten(errors: readonly ClassValidatorError[], prefix = ''): FlatError[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ path, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], path)];
  });
}
