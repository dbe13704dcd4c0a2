/**
 * Limits on the JSON a command may carry: the one home of these numbers, applied at both edges where commands
 * come in (the gateway's HTTP requests, before any validation or recursive code; the ticket-service's
 * `checkCommandEnvelope` for everything published on `tickets.commands.v1`). Documented in
 * docs/kafka-contract.md "Limits" and docs/dmart-compatibility.md.
 *
 * Why these numbers: the read side must be able to store whatever is appended, or its projection stops.
 * MongoDB refuses documents nested more than 100 levels (BSON), counting the document's own levels. User JSON
 * (`payload.body`, a workflow, a schema) sits 2 levels down in a `tickets` document (`payload.body`), 3 in
 * an update (`$set.payload.body`), and the read models' codec (read-models `user-data.codec.ts`) wraps every
 * array nested directly in an array as `{"%list": [...]}`, doubling the levels of nested arrays. 32 levels of
 * user JSON therefore take at most 3 + 2 x 32 = 67 levels: well within 100, and far deeper than any ticket
 * needs. Sizes keep one command well under Kafka's default 1 MiB message and MongoDB's 16 MiB document.
 */

/** Levels of user JSON (an object or array is one level; `{"a": [1]}` is 2 deep). */
export const USER_JSON_MAX_DEPTH = 32;

/**
 * The limits, by name. Depths count every level of the whole value checked: a command envelope holds user
 * JSON 3 levels down (`payload.payload.body`), a Dmart request 5 levels down (`records[].attributes.payload.body`).
 */
export const JSON_LIMITS = {
  /** Deepest command envelope: `USER_JSON_MAX_DEPTH` under `envelope.payload.payload.body`. */
  envelopeMaxDepth: USER_JSON_MAX_DEPTH + 3,
  /** Deepest HTTP request body: `USER_JSON_MAX_DEPTH` under `request.records[].attributes.payload.body`. */
  requestMaxDepth: USER_JSON_MAX_DEPTH + 5,
  /** Longest string value, in UTF-16 code units (JavaScript `length`). */
  maxStringLength: 32_768,
  /** Longest object key, in UTF-16 code units. */
  maxKeyLength: 256,
  /** Most items in one array. */
  maxArrayLength: 10_000,
  /** Most keys in one object. */
  maxObjectKeys: 1_000,
  /** Largest command envelope, in bytes of UTF-8 JSON (Kafka's default message limit is 1 MiB). */
  envelopeMaxBytes: 256 * 1024,
  /** Largest `attributes` of one record of a Dmart request, in bytes of UTF-8 JSON (it becomes one command). */
  recordMaxBytes: 192 * 1024,
  /** Largest HTTP request body, in bytes (the gateway's JSON body parser limit). */
  requestMaxBytes: 1024 * 1024,
} as const;

/** Which limit a value broke; `too_large` is answered 413 over HTTP, every other kind 422. */
export type JsonLimitKind =
  | 'too_deep'
  | 'string_too_long'
  | 'key_too_long'
  | 'array_too_long'
  | 'too_many_keys'
  | 'too_large'
  | 'forbidden_key'
  | 'nul_character';

/** A broken limit: which, where (path segments from the root), the limit, and a message naming both. */
export interface JsonLimitViolation {
  readonly kind: JsonLimitKind;
  /** Keys and indexes from the root to the offending value (or the object holding the offending key). */
  readonly path: readonly (string | number)[];
  /** The number that was exceeded (0 for a forbidden key or character). */
  readonly limit: number;
  /** E.g. `nested deeper than 35 levels at /payload/payload/body/0/0/...`; the path as given by `formatPath`. */
  readonly message: string;
}

/** Structural limits of {@link checkJsonLimits}; defaults from {@link JSON_LIMITS}. */
export interface JsonShapeLimits {
  readonly maxDepth: number;
  readonly maxStringLength?: number;
  readonly maxKeyLength?: number;
  readonly maxArrayLength?: number;
  readonly maxObjectKeys?: number;
}

/**
 * Keys refused anywhere in a command: the empty key (no use, and it makes paths ambiguous), keys holding NUL
 * (BSON keys are NUL-terminated), and `__proto__`, `constructor` and `prototype` (the keys of prototype
 * pollution: assigning `__proto__` sets an object's prototype instead of a key, and common JSON tooling,
 * NestJS' validation pipe and class-transformer among them, deletes or trips over the other two, so they would
 * be lost on one edge and kept on the other; refused on both, they are never silently dropped). Keys starting with `$` or holding `.`
 * are accepted: the read models store them escaped (`%24`, `%2E`; read-models `user-data.codec.ts`), never as
 * operators or paths, and JSON Schemas need `$schema`, `$ref`, `$id`.
 */
export function forbiddenKeyReason(key: string): string | null {
  if (key === '') return 'an empty key is not allowed';
  if (key.includes('\u0000')) return 'a key must not contain the NUL character (\\u0000)';
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') return `the key "${key}" is not allowed`;
  return null;
}

/** Path as a JSON pointer (`/payload/body/0`), as the envelope check reports paths. `/` for the root. */
export function jsonPointer(path: readonly (string | number)[]): string {
  return path.length === 0
    ? '/'
    : path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Path as dots (`records.0.attributes.payload`), as the gateway's request validation reports paths. */
export function dottedPath(path: readonly (string | number)[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/**
 * Checks a parsed JSON value against the structural limits (depth, string, key and array lengths, keys per
 * object, forbidden keys, NUL in strings). Iterative, with an explicit stack, and it never descends below
 * `maxDepth + 1` levels: safe for any input, however deep (a 20,000-level body must not exhaust the call stack
 * before it is refused). Stops at the first violation, in document order. Pure; never throws.
 * @param formatPath how the message writes the path (default {@link jsonPointer})
 * @returns `null` when the value is within the limits
 */
export function checkJsonLimits(
  value: unknown,
  limits: JsonShapeLimits,
  formatPath: (path: readonly (string | number)[]) => string = jsonPointer,
): JsonLimitViolation | null {
  const maxString = limits.maxStringLength ?? JSON_LIMITS.maxStringLength;
  const maxKey = limits.maxKeyLength ?? JSON_LIMITS.maxKeyLength;
  const maxArray = limits.maxArrayLength ?? JSON_LIMITS.maxArrayLength;
  const maxKeys = limits.maxObjectKeys ?? JSON_LIMITS.maxObjectKeys;
  const violation = (
    kind: JsonLimitKind,
    path: readonly (string | number)[],
    limit: number,
    what: string,
  ): JsonLimitViolation => ({
    kind,
    path,
    limit,
    message: `${what} at ${formatPath(path)}`,
  });

  // Each entry: a value and its path; depth = path length + 1 for containers (the root container is level 1).
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.length > maxString)
        return violation(
          'string_too_long',
          path,
          maxString,
          `a string is longer than ${maxString} characters`,
        );
      if (current.includes('\u0000'))
        return violation('nul_character', path, 0, 'a string must not contain the NUL character (\\u0000)');
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (path.length + 1 > limits.maxDepth) {
      return violation(
        'too_deep',
        path,
        limits.maxDepth,
        `nested deeper than ${limits.maxDepth} levels (user JSON: at most ${USER_JSON_MAX_DEPTH})`,
      );
    }
    // Children are pushed in reverse so that they are visited in document order.
    if (Array.isArray(current)) {
      if (current.length > maxArray)
        return violation('array_too_long', path, maxArray, `an array has more than ${maxArray} items`);
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(current);
    if (keys.length > maxKeys)
      return violation('too_many_keys', path, maxKeys, `an object has more than ${maxKeys} keys`);
    for (const key of keys) {
      const reason = forbiddenKeyReason(key);
      if (reason) return violation('forbidden_key', path, 0, reason);
      if (key.length > maxKey)
        return violation('key_too_long', path, maxKey, `a key is longer than ${maxKey} characters`);
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      stack.push({ value: (current as Record<string, unknown>)[keys[i]], path: [...path, keys[i]] });
    }
  }
  return null;
}

/**
 * Size of a value as UTF-8 JSON, in bytes. Only for a value that passed {@link checkJsonLimits}
 * (`JSON.stringify` recurses, so it must never see unbounded depth).
 */
export function jsonByteLength(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/**
 * `JSON.stringify` for a parsed JSON value of any depth (for the dead-letter copy of a refused command, whose
 * depth is unbounded): the same text as `JSON.stringify` for plain JSON values, produced iteratively when
 * `JSON.stringify` would exhaust the call stack. Functions, symbols and `undefined` object members are left
 * out, and are `null` in arrays, as JSON.stringify does; `toJSON` is honoured only on the fast path.
 */
export function toJsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  const scalar = (v: unknown): string | undefined =>
    v === null || typeof v !== 'object' ? (JSON.stringify(v) as string | undefined) : undefined;
  const out: string[] = [];
  type Frame = { items: [string | null, unknown][]; next: number; close: string };
  const open = (v: object): Frame => {
    if (Array.isArray(v)) {
      out.push('[');
      return { items: v.map((item) => [null, item]), next: 0, close: ']' };
    }
    out.push('{');
    return { items: Object.entries(v), next: 0, close: '}' };
  };
  const first = scalar(value);
  if (first !== undefined || value === undefined) return first ?? 'null';
  const stack: Frame[] = [open(value as object)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.items.length) {
      out.push(frame.close);
      stack.pop();
      continue;
    }
    const [key, item] = frame.items[frame.next];
    const text = item !== null && typeof item === 'object' ? null : scalar(item);
    const skip = key !== null && text === undefined && (item === null || typeof item !== 'object');
    if (!skip) {
      if (out[out.length - 1] !== '[' && out[out.length - 1] !== '{' && !out[out.length - 1].endsWith(':'))
        out.push(',');
      if (key !== null) out.push(`${JSON.stringify(key)}:`);
    }
    frame.next++;
    if (skip) continue;
    if (item !== null && typeof item === 'object') stack.push(open(item));
    else out.push(text ?? 'null');
  }
  return out.join('');
}
