/**
 * A shortname (TICKETS.md section 1): 1-64 chars of letters (incl. Arabic, with their marks), digits and `_`.
 */
export const SHORTNAME_PATTERN = /^[\p{L}\p{M}\p{N}_]{1,64}$/u;

/** Whether `value` is a valid shortname (section 1). */
export const isValidShortname = (value: unknown): value is string =>
  typeof value === 'string' && SHORTNAME_PATTERN.test(value);
