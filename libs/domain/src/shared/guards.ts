/** Small pure helpers shared by the deciders (no framework, no I/O). */

/** A plain JSON object (not `null`, not an array). */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A non-empty string (after trimming). */
export const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** Structural equality of JSON values (key order ignored), used to drop no-op changes. */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    const otherKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    return keys.length === otherKeys.length && keys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
};

/** Milliseconds since the epoch of an ISO-8601 instant, or `NaN` when it does not parse. */
export const instantMs = (iso: string): number => Date.parse(iso);
