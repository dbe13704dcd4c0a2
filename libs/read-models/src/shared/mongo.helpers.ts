/** Small helpers shared by the read models (no framework, no state). */

/** MongoDB's (and FerretDB's) error code for a unique index violation. */
const DUPLICATE_KEY = 11000;

/**
 * True when `error` is a duplicate-key error (code 11000), also when it is the only kind of write error of a
 * bulk write. Used by the revision guard: an insert that meets an existing document is a replay, not a fault.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; writeErrors?: unknown };
  if (e.code === DUPLICATE_KEY) return true;
  const writeErrors = Array.isArray(e.writeErrors) ? (e.writeErrors as { code?: unknown }[]) : null;
  return writeErrors !== null && writeErrors.length > 0 && writeErrors.every((w) => w.code === DUPLICATE_KEY);
}

/**
 * A stream revision or global position as a JavaScript number, the type the documents store (BSON double,
 * exact up to 2^53 - 1).
 * @throws RangeError when the value is negative or beyond `Number.MAX_SAFE_INTEGER` (never the case for the
 *   PostgreSQL adapter's 1, 2, 3... positions; EventStoreDB's log offsets would need petabytes of log).
 */
export function toSafeNumber(value: bigint, what = 'position'): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${what} ${value} cannot be stored exactly as a number`);
  }
  return Number(value);
}

/**
 * Parses an ISO-8601 instant; falls back to `fallback` (another ISO instant, e.g. the event's `recorded_at`)
 * when it is missing or invalid, so one malformed field never stalls a projection
 * (and to the epoch if both are invalid).
 */
export function toDate(iso: string | undefined | null, fallback: string): Date {
  const ms = iso ? Date.parse(iso) : NaN;
  const fallbackMs = Date.parse(fallback);
  return new Date(!Number.isNaN(ms) ? ms : Number.isNaN(fallbackMs) ? 0 : fallbackMs);
}
