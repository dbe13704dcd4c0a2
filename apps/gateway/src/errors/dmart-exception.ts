import { HttpException } from '@nestjs/common';
import type { DmartError } from '@tickets/contracts';

/**
 * HTTP status for a Dmart error code (TICKETS.md section 6). Dmart answers most refusals with 400; the
 * statuses below keep that, and use the precise status where one exists.
 */
export function httpStatusFor(code: number): number {
  switch (code) {
    case 47: // invalid token
    case 48: // expired token
    case 49: // not authenticated
      return 401;
    case 401: // not allowed
      return 401;
    case 220: // not found
      return 404;
    case 409:
      return 409;
    case 413: // request too large (a limit of command-envelope.limits.ts)
      return 413;
    case 422:
      return 422;
    case 99:
      return 500;
    default:
      return 400;
  }
}

/** Dmart's failure envelope: `{"status": "failed", "error": {type, code, message, info?}}`. */
export interface DmartFailure {
  readonly status: 'failed';
  readonly error: DmartError;
}

/**
 * An error already in Dmart's shape (a command's `rejected`/`failed` result, an authentication failure, a
 * gateway time-out); the exception filter answers it with `httpStatusFor(error.code)`.
 */
export class DmartException extends HttpException {
  constructor(
    readonly dmartError: DmartError,
    /** HTTP status; defaults to `httpStatusFor(dmartError.code)`. */
    status = httpStatusFor(dmartError.code),
  ) {
    super({ status: 'failed', error: dmartError } satisfies DmartFailure, status);
  }
}
