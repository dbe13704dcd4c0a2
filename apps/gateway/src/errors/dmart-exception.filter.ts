import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { toDmartError, type DmartError } from '@tickets/contracts';
import { DomainError } from '@tickets/domain';
import { DmartException, httpStatusFor } from './dmart-exception';

/**
 * The gateway's one error mapping (STYLE.md): every error leaves as Dmart's envelope
 * `{"status": "failed", "error": {type, code, message, info?}}` (TICKETS.md section 6).
 * - DmartException: as is; DomainError: its code; HttpException (routing; Nest turns a body that is not
 *   JSON into a 400 BadRequestException): code 422 for 4xx request problems, the status kept;
 * - errors carrying a numeric `status` 400-499 (body-parser's others, e.g. `encoding.unsupported` 415): that
 *   status with code 422; `entity.too.large` (over `JSON_LIMITS.requestMaxBytes`): 413 with code 413;
 * - the health check's 503 (@nestjs/terminus `{status: 'error', info, error, details}`) passes unchanged, so
 *   it still names the dependency that is down;
 * - a store the request needed is unreachable (MongoDB, PostgreSQL), or the text index of bare-word search is
 *   still being built: 503 with code 99, so clients retry instead of reporting a bug;
 * - anything else: 500 with code 99, details only in the log.
 */
@Catch()
export class DmartExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('DmartExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const health = healthCheckFailure(exception);
    if (health) {
      response.status(health.status).json(health.body);
      return;
    }
    const [status, error] = this.toEnvelope(exception);
    response.status(status).json({ status: 'failed', error });
  }

  private toEnvelope(exception: unknown): [number, DmartError] {
    if (exception instanceof DmartException) return [exception.getStatus(), exception.dmartError];
    if (exception instanceof DomainError) {
      const error = toDmartError(exception);
      return [httpStatusFor(error.code), error];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? [(body as { message: unknown }).message].flat().join('; ')
          : exception.message;
      if (status === 404) return [404, { type: 'request', code: 220, message }];
      return [status, { type: 'request', code: status < 500 ? 422 : 99, message }];
    }
    const clientError = requestError(exception);
    if (clientError) return [clientError.status, { type: 'request', code: clientError.status === 413 ? 413 : 422, message: clientError.message }];
    if (isTextIndexMissing(exception)) {
      this.logger.warn({ err: exception }, 'the tickets text index is missing (projection-service creates it at start)');
      return [503, { type: 'internal', code: 99, message: 'full-text search is not ready yet (its index is being built); retry later' }];
    }
    if (isUnavailable(exception)) {
      this.logger.warn({ err: exception }, 'a store is unreachable');
      return [503, { type: 'internal', code: 99, message: 'a data store is unreachable; retry later' }];
    }
    this.logger.error({ err: exception }, 'unhandled error');
    return [500, { type: 'internal', code: 99, message: 'unexpected error' }];
  }
}

/** The failing health check's own answer (terminus' `HealthCheckResult`), if `exception` is one. */
function healthCheckFailure(exception: unknown): { status: number; body: object } | undefined {
  if (!(exception instanceof HttpException)) return undefined;
  const body = exception.getResponse();
  if (typeof body !== 'object' || body === null) return undefined;
  const result = body as Record<string, unknown>;
  if (result['status'] !== 'error' || typeof result['details'] !== 'object' || typeof result['error'] !== 'object') return undefined;
  return { status: exception.getStatus(), body };
}

/** An error that names a 4xx status (http-errors, as body-parser throws them), with a message for the client. */
function requestError(exception: unknown): { status: number; message: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const e = exception as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown; limit?: unknown; length?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) return undefined;
  if (e.type === 'entity.too.large') {
    const limit = typeof e.limit === 'number' ? `; the limit is ${e.limit} bytes` : '';
    return { status, message: `request body too large${typeof e.length === 'number' ? ` (${e.length} bytes${limit})` : limit}` };
  }
  return { status, message: `invalid request: ${typeof e.message === 'string' && e.message ? e.message : 'bad request'}` };
}

/** Connection-level failures of the drivers (mongodb, pg): the store is down or unreachable, not a bug. */
function isUnavailable(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const { name, code } = exception as { name?: unknown; code?: unknown };
  return (
    (typeof name === 'string' && /^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed)Error$/.test(name)) ||
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03'].includes(code))
  );
}

/**
 * MongoDB's refusal of a `$text` search without a text index (code 27 IndexNotFound): the `tickets_text`
 * index is built by the projection-service at start (docs/read-models.md, v2.1), so this is transient.
 */
function isTextIndexMissing(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const { name, code, message } = exception as { name?: unknown; code?: unknown; message?: unknown };
  return name === 'MongoServerError' && code === 27 && typeof message === 'string' && /text index required/i.test(message);
}
