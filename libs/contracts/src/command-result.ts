import type { DomainError } from '@tickets/domain';

/** Dmart's error object (TICKETS.md section 6). */
export interface DmartError {
  readonly type: string;
  readonly code: number;
  readonly message: string;
  readonly info?: readonly Record<string, unknown>[];
}

/**
 * A result on `tickets.command-results.v1`, keyed by `command_id` (ARCHITECTURE.md "Kafka contract").
 * - `succeeded`: the command's events are committed; `position` is the last event's global position
 *   (a decimal string: positions are 64-bit) so readers can wait for the read model to reach it.
 * - `rejected`: the command was invalid or refused by a rule; nothing was written. `error` says why.
 * - `failed`: an unexpected error after retries; the command may be re-published with the same id.
 */
export interface CommandResult {
  readonly command_id: string;
  readonly status: 'succeeded' | 'rejected' | 'failed';
  readonly error?: DmartError;
  /** The ticket after the command, in the shape of `GET /managed/entry/ticket/...`. */
  readonly ticket?: Record<string, unknown>;
  /** Other resources (workflow, schema, group) after a define command. */
  readonly resource?: Record<string, unknown>;
  readonly position?: string;
  /** The resource key (`space/subpath/shortname`) finally used (differs from the command's for `auto`). */
  readonly resource_path?: string;
}

/** The one mapping from a domain error to Dmart's error object (TICKETS.md section 6). */
export function toDmartError(error: DomainError): DmartError {
  return { type: error.type, code: error.code, message: error.message, ...(error.info ? { info: error.info } : {}) };
}
