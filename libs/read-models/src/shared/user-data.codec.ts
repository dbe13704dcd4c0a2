/**
 * Reversible encoding of user data (payload bodies, collaborators, reporter, translations, workflow
 * definitions) into values every supported server stores (ARCHITECTURE.md "Read models": FerretDB v1
 * rejects field names that contain `.` or start with `$`; FerretDB v1.24 "Known differences" adds: no nested
 * arrays, no NUL character in strings; BSON keys cannot hold NUL on any server).
 *
 * Rules (the read models' public contract, docs/read-models.md "Encoding of user data"):
 * - in a **key**, `%` becomes `%25`, every `.` becomes `%2E`, a **leading** `$` becomes `%24`, NUL becomes
 *   `%00`; decoding maps these four sequences back. Since every `%` of the original is escaped, decoding
 *   is exact, and a key that needs no escaping (the usual case) is stored as is;
 * - an **array directly inside an array** is wrapped as `{"%list": [...]}` (a key no encoded user key can
 *   equal, because user keys starting with `%` are stored as `%25...`);
 * - `undefined` values are dropped (as JSON does); NUL characters in **string values** are replaced by
 *   U+FFFD (lossy, the one exception: FerretDB cannot store them and they have no use in tickets).
 */

/** Key of the wrapper object that stands for an array nested directly in an array. */
export const NESTED_ARRAY_KEY = '%list';

const NUL = String.fromCharCode(0);
const KEY_UNESCAPES: Readonly<Record<string, string>> = { '%25': '%', '%2E': '.', '%24': '$', '%00': '\u0000' };

/**
 * Escapes one field name: `a.b` -> `a%2Eb`, `$x` -> `%24x`, `50%` -> `50%25`; other keys unchanged.
 * Use it to build a query or update path on user data, e.g. `payload.body.${escapeKey(name)}`.
 */
export function escapeKey(key: string): string {
  // `%` first, so the escapes added next are never escaped again.
  const escaped = key.replaceAll('%', '%25').replaceAll('.', '%2E').replaceAll(NUL, '%00');
  return escaped.startsWith('$') ? `%24${escaped.slice(1)}` : escaped;
}

/** Inverse of {@link escapeKey}: `unescapeKey(escapeKey(k)) === k` for every string `k`. */
export function unescapeKey(key: string): string {
  return key.includes('%') ? key.replace(/%(25|2E|24|00)/g, (seq) => KEY_UNESCAPES[seq] ?? seq) : key;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Date) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * Encodes a JSON-like value for storage (rules in the module doc). Plain objects and arrays are copied;
 * `Date`s and other scalars pass through. Pure; never throws on JSON input.
 */
export function encodeUserData<T>(value: T): T {
  return encodeValue(value, false) as T;
}

function encodeValue(value: unknown, insideArray: boolean): unknown {
  if (typeof value === 'string') return value.includes(NUL) ? value.replaceAll(NUL, '\uFFFD') : value;
  if (Array.isArray(value)) {
    const items = value.filter((item) => item !== undefined).map((item) => encodeValue(item, true));
    return insideArray ? { [NESTED_ARRAY_KEY]: items } : items;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[escapeKey(key)] = encodeValue(item, false);
    }
    return out;
  }
  return value;
}

/** Inverse of {@link encodeUserData} for everything but the lossy NUL replacement. Pure. */
export function decodeUserData<T>(value: T): T {
  return decodeValue(value) as T;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === NESTED_ARRAY_KEY && Array.isArray(value[NESTED_ARRAY_KEY])) {
      return (value[NESTED_ARRAY_KEY] as unknown[]).map(decodeValue);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) out[unescapeKey(key)] = decodeValue(value[key]);
    return out;
  }
  return value;
}
