import { mongo } from 'mongoose';

/**
 * Error labels the MongoDB driver and server put on errors worth retrying as they are (MongoDB manual
 * "Transactions: error handling" and the driver's retryable-writes spec): the same write can succeed later.
 */
const TRANSIENT_LABELS: readonly string[] = [
  mongo.MongoErrorLabel.RetryableWriteError,
  mongo.MongoErrorLabel.TransientTransactionError,
  mongo.MongoErrorLabel.UnknownTransactionCommitResult,
  mongo.MongoErrorLabel.ResetPool,
];

/**
 * Server error codes of a node that cannot serve writes right now (the driver's retryable-error code list:
 * HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
 * ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown, InterruptedDueToReplStateChange,
 * NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, WriteConcernFailed, WriteConflict, LockTimeout).
 */
const TRANSIENT_SERVER_CODES: ReadonlySet<number> = new Set([
  6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 64, 112, 24,
]);

/** Node.js socket error codes (`error.code`) of a peer that is down or unreachable for now. */
const TRANSIENT_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True when applying an event failed for a reason that goes away by itself (a store unreachable, a replica set
 * electing a primary, a write conflict with a concurrent transaction), so the runner retries the same event in
 * place; false for everything else (the event cannot be applied as it is: it is parked, see
 * `ProjectionRunner`). Classified by the MongoDB driver's error classes (`MongoNetworkError`,
 * `MongoServerSelectionError`, `MongoNotConnectedError`, `MongoTopologyClosedError`), its error labels
 * (`RetryableWriteError`, `TransientTransactionError`, `UnknownTransactionCommitResult`, `ResetPool`) and
 * server codes, Node.js socket error codes, and PostgreSQL's connection-exception class `08`, `57P0x`
 * (shutdown) and `53300` (too many connections), for projections that read the event store. Pure.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (
    error instanceof mongo.MongoNetworkError ||
    error instanceof mongo.MongoServerSelectionError ||
    error instanceof mongo.MongoNotConnectedError ||
    error instanceof mongo.MongoTopologyClosedError
  ) {
    return true;
  }
  if (error instanceof mongo.MongoError) {
    if (TRANSIENT_LABELS.some((label) => error.hasErrorLabel(label))) return true;
    if (typeof error.code === 'number' && TRANSIENT_SERVER_CODES.has(error.code)) return true;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_SOCKET_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE (pg's DatabaseError): connection exceptions, shutdown, too many connections.
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  }
  // pg reports a dropped connection or a pool wait timeout as plain Errors.
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect)/.test(message)
  );
}
