import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { toDmartError, type DmartError } from '@tickets/contracts';
import { DomainError } from '@tickets/domain';
import { DmartException, httpStatusFor } from './dmart-exception';

/**
 * The gateway's one error mapping (STYLE.md): every error leaves as Dmart's envelope
 * `{"status": "failed", "error": {type, code, message, info?}}` (TICKETS.md section 6).
 * - DmartException: as is; DomainError: its code; HttpException (routing, body parser): code 422 for
 *   4xx request problems, the status kept; anything else: 500 with code 99, details only in the log.
 */
@Catch()
export class DmartExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('DmartExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
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
    this.logger.error({ err: exception }, 'unhandled error');
    return [500, { type: 'internal', code: 99, message: 'unexpected error' }];
  }
}
