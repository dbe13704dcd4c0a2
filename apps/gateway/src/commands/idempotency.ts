import { createHash, randomUUID } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { ValidationError } from '@tickets/domain';

/** The request header that makes a request safe to resend (its records keep their `command_id`s). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Longest accepted `Idempotency-Key`, in characters. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 128;

/** OpenAPI description of the header (`@ApiHeader`). */
export const IDEMPOTENCY_KEY_DOC = {
  name: IDEMPOTENCY_KEY_HEADER,
  required: false,
  description:
    `1-${IDEMPOTENCY_KEY_MAX_LENGTH} characters naming this request (e.g. a UUID). Resending the same request with the ` +
    'same key (after a 504, a lost connection) has its effect once and answers the same result: the command ids ' +
    'derive from the caller, the key and the record index. Use a new key for every other request.',
};

/**
 * The `Idempotency-Key` header value, checked.
 * @returns undefined when the header is absent
 * @throws ValidationError (422) when it is empty or longer than {@link IDEMPOTENCY_KEY_MAX_LENGTH} characters
 */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new ValidationError(`${IDEMPOTENCY_KEY_HEADER} must be 1-${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
  }
  return value;
}

/**
 * The `command_id` of record `index` of a request by `actor`: without an idempotency key a random UUID; with
 * one, a UUID (v4 layout) from SHA-256 of (actor, key, index), so a resent request yields the same commands
 * and ticket-service gives each its effect once. Different actors using the same key never share ids.
 */
export function commandIdFor(actor: string, idempotencyKey: string | undefined, index: number): string {
  if (idempotencyKey === undefined) return randomUUID();
  const random = createHash('sha256').update(['gateway-request', actor, idempotencyKey, String(index)].join('\u0000')).digest();
  return uuidv4({ random: random.subarray(0, 16) });
}
