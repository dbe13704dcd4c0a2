import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { checkJsonLimits, JSON_LIMITS, jsonByteLength, jsonPointer } from './command-envelope.limits';
import envelopeSchema from './schemas/command-envelope.v1.schema.json';

export * from './command-envelope.limits';

/** Command types accepted on `tickets.commands.v1` (the envelope's `type`). */
export const COMMAND_TYPES = [
  'CreateTicket',
  'ProgressTicket',
  'UpdateTicket',
  'PatchTicket',
  'AssignTicket',
  'LockTicket',
  'UnlockTicket',
  'AddComment',
  'DeleteTicket',
  'MoveTicket',
  'DefineWorkflow',
  'DefineSchema',
  'DefineGroup',
  'DefineUser',
  'DeleteUser',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** The actor as stated by the publisher: token roles for the gateway, service roles for internal publishers. */
export interface EnvelopeActor {
  readonly shortname: string;
  readonly roles: readonly string[];
  readonly groups?: readonly string[];
}

/**
 * A command on Kafka (ARCHITECTURE.md "Kafka contract"; JSON Schema in
 * `schemas/command-envelope.v1.schema.json`, examples in docs/kafka-contract.md).
 */
export interface CommandEnvelope<P = Record<string, unknown>> {
  /** UUID; the idempotency key. */
  readonly command_id: string;
  readonly type: CommandType;
  readonly space_name: string;
  /** Normalised by the consumer (slashes trimmed). */
  readonly subpath: string;
  /** `auto` on CreateTicket lets the system pick one (TICKETS.md section 1). */
  readonly shortname: string;
  readonly actor: EnvelopeActor;
  /** ISO-8601 date-time. */
  readonly issued_at: string;
  readonly correlation_id: string;
  readonly causation_id?: string;
  readonly payload: P;
}

/** Outcome of a structural check of an envelope. */
export type EnvelopeCheck =
  | { readonly ok: true; readonly envelope: CommandEnvelope }
  | { readonly ok: false; readonly reason: string; readonly errors: readonly { path: string; message: string }[] };

const ajv = new Ajv({ allErrors: true, unicodeRegExp: true, strict: false });
addFormats(ajv);
const validateEnvelope = ajv.compile(envelopeSchema);

function describe(errors: readonly ErrorObject[]): { path: string; message: string }[] {
  // if/then branches repeat the failing inner error as "must match then schema": keep the informative ones.
  return errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => ({
      path: e.instancePath || '/',
      message: e.keyword === 'additionalProperties' ? `must not have "${String(e.params['additionalProperty'])}"` : (e.message ?? 'is invalid'),
    }));
}

/**
 * Checks a message value: first the limits of command-envelope.limits.ts (size, depth, string/key/array
 * lengths, forbidden keys, NUL characters: what the event store and the read models cannot store), then the
 * v1 envelope schema. Never throws, whatever the input (a 20,000-level value included): an unparseable,
 * oversized or invalid command is answered `rejected` and copied to the dead-letter topic with `reason`.
 * @param value the Kafka message value: a parsed object, a JSON string, or raw bytes
 */
export function checkCommandEnvelope(value: unknown): EnvelopeCheck {
  let candidate = value;
  if (Buffer.isBuffer(candidate)) candidate = candidate.toString('utf8');
  if (typeof candidate === 'string') {
    const bytes = Buffer.byteLength(candidate, 'utf8');
    if (bytes > JSON_LIMITS.envelopeMaxBytes) return tooLarge(bytes);
    try {
      candidate = JSON.parse(candidate);
    } catch (error) {
      return { ok: false, reason: `value is not JSON: ${(error as Error).message}`, errors: [] };
    }
  }
  const violation = checkJsonLimits(candidate, { maxDepth: JSON_LIMITS.envelopeMaxDepth });
  if (violation) {
    const errors = [{ path: jsonPointer(violation.path), message: violation.message }];
    return { ok: false, reason: `invalid command envelope: ${violation.message}`, errors };
  }
  // Bounded depth from here on: serialising is safe.
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    const bytes = jsonByteLength(candidate);
    if (bytes > JSON_LIMITS.envelopeMaxBytes) return tooLarge(bytes);
  }
  if (!validateEnvelope(candidate)) {
    const errors = describe(validateEnvelope.errors ?? []);
    return {
      ok: false,
      reason: `invalid command envelope: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      errors,
    };
  }
  return { ok: true, envelope: candidate as unknown as CommandEnvelope };
}

function tooLarge(bytes: number): EnvelopeCheck {
  const message = `the command is ${bytes} bytes of JSON; the limit is ${JSON_LIMITS.envelopeMaxBytes}`;
  return { ok: false, reason: `invalid command envelope: ${message}`, errors: [{ path: '/', message }] };
}

/** The JSON Schema document of the v1 envelope (served in docs and by tests). */
export const COMMAND_ENVELOPE_SCHEMA = envelopeSchema;
