/**
 * Domain errors with Dmart's stable codes (TICKETS.md section 6). They carry no transport knowledge: each
 * transport has one mapping (the gateway's exception filter, ticket-service's result builder) from
 * `DomainError` to Dmart's envelope `{status: "failed", error: {type, code, message, info?}}`.
 */
export abstract class DomainError extends Error {
  /** Dmart's numeric error code, e.g. 220 (not found), 299 (closed). */
  abstract readonly code: number;
  /** Dmart's error type: `request`, `auth`, `db` or `internal`. */
  abstract readonly type: 'request' | 'auth' | 'db' | 'internal';
  constructor(
    message: string,
    /** Structured details (e.g. failing schema paths), shown as `error.info` in the envelope. */
    readonly info?: Record<string, unknown>[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 401: the actor lacks the roles (TICKETS.md section 4, create; and permission refusals). */
export class NotAllowedError extends DomainError {
  readonly code = 401;
  readonly type = 'auth' as const;
}

/** 220: the ticket, workflow, schema or group does not exist. */
export class NotFoundError extends DomainError {
  readonly code = 220;
  readonly type = 'db' as const;
}

/** 400: a resource with this key already exists (TICKETS.md section 1). */
export class AlreadyExistsError extends DomainError {
  readonly code = 400;
  readonly type = 'db' as const;
}

/** 218: the workflow content has no (valid) body (TICKETS.md section 2). */
export class WorkflowBodyError extends DomainError {
  readonly code = 218;
  readonly type = 'request' as const;
}

/** 299: the ticket is in a closed state (TICKETS.md section 4, progress). */
export class TicketClosedError extends DomainError {
  readonly code = 299;
  readonly type = 'request' as const;
}

/** 300: no such transition, missing transition role, or unknown resolution (TICKETS.md section 4). */
export class InvalidTransitionError extends DomainError {
  readonly code = 300;
  readonly type = 'request' as const;
}

/** 30: the ticket is locked by someone else, so it cannot be locked or unlocked by this actor. */
export class LockUnavailableError extends DomainError {
  readonly code = 30;
  readonly type = 'request' as const;
}

/** 31: the ticket is locked by someone else, so this actor cannot change it. */
export class LockedEntryError extends DomainError {
  readonly code = 31;
  readonly type = 'request' as const;
}

/** 409: concurrent changes kept conflicting after the bounded retries. */
export class ConcurrencyConflictError extends DomainError {
  readonly code = 409;
  readonly type = 'db' as const;
}

/** 422: the command or payload is invalid (shape, schema, forbidden attribute change). */
export class ValidationError extends DomainError {
  readonly code = 422;
  readonly type = 'request' as const;
}
