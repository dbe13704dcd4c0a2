import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { checkJsonLimits, dottedPath, JSON_LIMITS, jsonByteLength } from '@tickets/contracts';
import { DmartException } from '../errors/dmart-exception';

/**
 * The HTTP edge's limits (libs/contracts `command-envelope.limits.ts`, the numbers shared with the Kafka
 * edge), applied to every parsed request body as a global guard: guards run after body parsing and before
 * the validation pipe, so nothing recursive (class-transformer, class-validator, `JSON.stringify`) ever sees
 * a body deeper than `JSON_LIMITS.requestMaxDepth`, and the gateway never accepts a command the read side
 * cannot store. The whole body is limited by the JSON parser (`requestMaxBytes`, 413 `entity.too.large`).
 * Refusals, in Dmart's envelope, name the limit and the path:
 * - 422 (code 422): too deep, a string, key or array too long, too many keys, an empty/NUL/`__proto__`/`constructor`/`prototype` key,
 *   NUL in a string;
 * - 413 (code 413): the `attributes` of one record of `POST /managed/request` over `recordMaxBytes` (each record
 *   becomes one command, which must stay under the envelope limit).
 */
@Injectable()
export class RequestLimitsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body: unknown = context.switchToHttp().getRequest<Request>().body;
    if (body === null || typeof body !== 'object') return true;
    const violation = checkJsonLimits(body, { maxDepth: JSON_LIMITS.requestMaxDepth }, dottedPath);
    if (violation) {
      throw new DmartException({
        type: 'request',
        code: 422,
        message: `invalid request: ${violation.message}`,
        info: [{ path: dottedPath(violation.path), limit: violation.kind, max: violation.limit }],
      });
    }
    const records = (body as { records?: unknown }).records;
    if (!Array.isArray(records)) return true;
    records.forEach((record: unknown, index) => {
      const attributes =
        record !== null && typeof record === 'object'
          ? (record as { attributes?: unknown }).attributes
          : undefined;
      if (attributes === undefined) return;
      const bytes = jsonByteLength(attributes);
      if (bytes > JSON_LIMITS.recordMaxBytes) {
        const path = `records.${index}.attributes`;
        throw new DmartException({
          type: 'request',
          code: 413,
          message: `request too large: ${path} is ${bytes} bytes of JSON; the limit is ${JSON_LIMITS.recordMaxBytes}`,
          info: [{ path, limit: 'too_large', max: JSON_LIMITS.recordMaxBytes }],
        });
      }
    });
    return true;
  }
}
