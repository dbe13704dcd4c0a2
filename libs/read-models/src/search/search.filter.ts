import type { Comparison, FieldPredicate, SearchNode, SearchPattern, TextTerm, ValueTest } from './search.ast';
import { resolveTicketField, type FieldKind, type ResolvedField } from './ticket-fields';

/**
 * Turns a search tree (search.ast.ts) into a MongoDB filter on the stored `tickets` shape (docs/read-models.md,
 * v1). The filter is built only from these operators: `$and`, `$or`, `$nor`, `$in`, `$gt`, `$gte`, `$lt`, `$lte`,
 * `$exists`, `$ne`, `$regex` + `$options: 'i'`, and `$text` (with `$search`, `$caseSensitive`,
 * `$diacriticSensitive`) on the tickets' text index (tickets/ticket.schema.ts). Keys are only whitelisted paths
 * (ticket-fields.ts); user text only ever appears as a value: a string, number, boolean or date to compare
 * with, the source of a `$regex` in which every regex metacharacter of the user's text is escaped and whose
 * wildcards and length are bounded (search.parser.ts `SEARCH_LIMITS`), or a quoted phrase of a `$text` search
 * from which every `"` was removed (so it can neither end its phrase nor start a negation).
 *
 * Semantics (docs/query-api.md; Dmart's SQL mode where it has one):
 * - unknown fields are ignored (the term drops out, as in Dmart) and listed in `ignored_fields`;
 * - negation (`-@f:v`, `@f:!v`) also matches tickets without the field;
 * - bare words and phrases of the top-level conjunction (`printer broken`, `"paper jam" -spam`), or one group
 *   of alternative words (`printer | scanner`), are one `$text` search: whole words, any case, any diacritics,
 *   in every text of the ticket (payload body included; {@link fullTextFilter});
 * - a bare word MongoDB's `$text` cannot express (a wildcard `prin*`, a word inside a group or a negated
 *   group, a negation without a positive word beside it, a second group of alternatives) matches when one of
 *   the text attributes ({@link TEXT_SEARCH_PATHS}) contains it, any case.
 */

/** A MongoDB filter document (plain JSON-like object; keys are whitelisted paths or the operators above). */
export type MongoFilter = Record<string, unknown>;

/** Result of {@link searchFilter}: the filter (`{}` = everything) and the unknown fields, in order, once each. */
export interface SearchFilter {
  readonly filter: MongoFilter;
  readonly ignored_fields: readonly string[];
}

/**
 * Stored paths a bare word is looked for in (case-insensitive "contains") where `$text` cannot take it (see the
 * module doc): the ticket's own text attributes. The payload body's values are under unknown keys, which only
 * the text index reaches; for them use `@payload.body.<key>:*word*`.
 */
export const TEXT_SEARCH_PATHS: readonly string[] = [
  'shortname',
  'displayname.en',
  'displayname.ar',
  'displayname.ku',
  'description.en',
  'description.ar',
  'description.ku',
  'tags',
  'state',
  'workflow_shortname',
  'owner_shortname',
  'owner_group_shortname',
  'resolution_reason',
  'reporter.name',
  'reporter.msisdn',
  'reporter.channel',
  'reporter.governorate',
  'reporter.distributor',
  'reporter.type',
];

/** A filter no document matches (used for a value of the wrong type, e.g. `@is_open:maybe`). */
export const MATCH_NOTHING: MongoFilter = Object.freeze({ _id: { $in: [] } });

/**
 * The MongoDB filter of a search tree (`null` = no search). Pure; never throws.
 */
export function searchFilter(root: SearchNode | null): SearchFilter {
  const ignored: string[] = [];
  if (!root) return { filter: {}, ignored_fields: [] };
  const { text, rest } = fullTextFilter(root);
  const filter = combine('$and', [text, ...rest.map((node) => nodeFilter(node, ignored))]);
  return { filter: filter ?? {}, ignored_fields: [...new Set(ignored)] };
}

/**
 * The one `$text` filter a search may hold (MongoDB allows one, at the top level or in a top-level `$and`,
 * never under `$or`/`$nor`), taken from the top-level conjunction of `root`, and the nodes left for
 * {@link nodeFilter}:
 * - its bare words and phrases become quoted phrases, all required (`"printer" "broken"`); its negated ones
 *   (`-spam`) become negated phrases, but only beside a positive one (`$text` cannot only exclude);
 * - without such a word, its first group of alternatives that are all plain words (`printer | scanner`)
 *   becomes unquoted words, any of which matches (with the negations, if any).
 * Only words holding a letter or digit qualify (`$text` ignores the rest). Pure.
 */
export function fullTextFilter(root: SearchNode): { text: MongoFilter | null; rest: SearchNode[] } {
  const items = root.kind === 'and' ? [...root.items] : [root];
  const isPhrase = (node: SearchNode): node is TextTerm => node.kind === 'text' && textPhrase(node.pattern) !== null;
  const positive = items.filter(isPhrase);
  const negative = items.filter((node) => node.kind === 'not' && isPhrase(node.operand));
  const negations = negative.map((node) => `-"${textPhrase(((node as { operand: TextTerm }).operand).pattern)}"`);
  if (positive.length > 0) {
    const phrases = positive.map((node) => `"${textPhrase(node.pattern)}"`);
    return { text: textSearch([...phrases, ...negations]), rest: items.filter((node) => !positive.includes(node as TextTerm) && !negative.includes(node)) };
  }
  const words = items.find(
    (node) => node.kind === 'or' && node.alternatives.every((alt) => alt.kind === 'text' && alt.pattern.kind === 'exact' && PLAIN_WORD.test(alt.pattern.text)),
  );
  if (words?.kind === 'or') {
    const alternatives = words.alternatives.map((alt) => (alt as TextTerm).pattern as { text: string }).map((p) => p.text);
    return { text: textSearch([...alternatives, ...negations]), rest: items.filter((node) => node !== words && !negative.includes(node)) };
  }
  return { text: null, rest: items };
}

/** A word `$text` reads as one term when unquoted: letters (with marks), digits, `_`. */
const PLAIN_WORD = /^[\p{L}\p{M}\p{N}_]+$/u;

/** The phrase of an exact pattern for `$text` (every `"` removed), or `null` when `$text` cannot search it. */
function textPhrase(pattern: SearchPattern): string | null {
  if (pattern.kind !== 'exact') return null;
  const phrase = pattern.text.replaceAll('"', ' ').trim();
  return /[\p{L}\p{N}]/u.test(phrase) ? phrase : null;
}

function textSearch(terms: readonly string[]): MongoFilter {
  return { $text: { $search: terms.join(' '), $caseSensitive: false, $diacriticSensitive: false } };
}

/** `null` = the node drops out (it named only unknown fields). */
function nodeFilter(node: SearchNode, ignored: string[]): MongoFilter | null {
  switch (node.kind) {
    case 'and':
      return combine('$and', node.items.map((item) => nodeFilter(item, ignored)));
    case 'or':
      return combine('$or', node.alternatives.map((alt) => nodeFilter(alt, ignored)));
    case 'not': {
      const operand = nodeFilter(node.operand, ignored);
      return operand ? { $nor: [operand] } : null;
    }
    case 'text':
      return anyPath(TEXT_SEARCH_PATHS, { $regex: regexSource(node.pattern, false), $options: 'i' });
    case 'field': {
      const field = resolveTicketField(node.field);
      if (!field) {
        ignored.push(node.field);
        return null;
      }
      return predicateFilter(field, node.predicate);
    }
    default: {
      const _: never = node;
      return _;
    }
  }
}

function combine(operator: '$and' | '$or', parts: readonly (MongoFilter | null)[]): MongoFilter | null {
  const kept = parts.filter((p): p is MongoFilter => p !== null);
  if (kept.length === 0) return null;
  return kept.length === 1 ? kept[0] : { [operator]: kept };
}

/** `{path: condition}` for one path, `$or` of them for several. */
function anyPath(paths: readonly string[], condition: unknown): MongoFilter {
  const parts = paths.map((path) => ({ [path]: condition }));
  return parts.length === 1 ? parts[0] : { $or: parts };
}

function predicateFilter(field: ResolvedField, predicate: FieldPredicate): MongoFilter {
  if (predicate.kind === 'range') return rangeFilter(field, predicate.low, predicate.high);
  return combine('$or', predicate.tests.map((test) => testFilter(field, test))) ?? MATCH_NOTHING;
}

/** One `ValueTest` on a field, by the field's kind. */
function testFilter(field: ResolvedField, test: ValueTest): MongoFilter {
  const { pattern } = test;
  if (pattern.kind === 'wildcard') {
    if (pattern.parts.every((part) => part === '')) return anyPath(field.paths, { $exists: true, $ne: null });
    if (field.kind === 'boolean' || field.kind === 'date') return MATCH_NOTHING;
    return anyPath(field.paths, { $regex: regexSource(pattern, true), $options: 'i' });
  }
  const condition = valueCondition(field.kind, test.op, pattern.text);
  return condition === null ? MATCH_NOTHING : anyPath(field.paths, condition);
}

/** The condition on one stored value for `op text`, or `null` when `text` cannot be a value of this kind. */
function valueCondition(kind: FieldKind, op: Comparison, text: string): unknown {
  switch (kind) {
    case 'string':
      return op === 'eq' ? text : { [`$${op}`]: text };
    case 'boolean': {
      const value = parseBoolean(text);
      return op === 'eq' && value !== null ? value : null;
    }
    case 'date': {
      const period = parsePeriod(text);
      if (!period) return null;
      switch (op) {
        case 'eq':
          return { $gte: period.start, $lt: period.end };
        case 'gt':
          return { $gte: period.end };
        case 'gte':
          return { $gte: period.start };
        case 'lt':
          return { $lt: period.start };
        case 'lte':
          return { $lt: period.end };
      }
      return null;
    }
    case 'user_data':
      return userDataCondition(op, text);
    default: {
      const _: never = kind;
      return _;
    }
  }
}

/**
 * User JSON may hold `5` or `"5"`, `true` or `"true"` (Dmart's SQL mode matches both): a number-like value
 * matches either, comparisons with a number-like value compare numbers; a date-like value (`YYYY-MM-DD...`)
 * matches strings that start with it and compares by text, so that `<=2025-04-28` includes that whole day.
 */
function userDataCondition(op: Comparison, text: string): unknown {
  const number = parseNumber(text);
  if (number !== null) return op === 'eq' ? { $in: [text, number] } : { [`$${op}`]: number };
  if (op === 'eq') {
    const bool = parseBoolean(text);
    if (bool !== null) return { $in: [text, bool] };
    if (DATE_LIKE.test(text)) return { $regex: `^${escapeRegex(text)}`, $options: 'i' };
    return text;
  }
  if (DATE_LIKE.test(text) && (op === 'gt' || op === 'lte')) return { [`$${op}`]: `${text}${TEXT_MAX}` };
  return { [`$${op}`]: text };
}

/** Inclusive range `[low high]` by kind; bounds out of order are swapped (as Dmart does). */
function rangeFilter(field: ResolvedField, low: string | null, high: string | null): MongoFilter {
  if (low === null && high === null) return anyPath(field.paths, { $exists: true, $ne: null });
  switch (field.kind) {
    case 'boolean':
      return MATCH_NOTHING;
    case 'date': {
      const from = low === null ? null : parsePeriod(low);
      const to = high === null ? null : parsePeriod(high);
      if ((low !== null && !from) || (high !== null && !to)) return MATCH_NOTHING;
      const [a, b] = from && to && from.start > to.start ? [to, from] : [from, to];
      return anyPath(field.paths, { ...(a ? { $gte: a.start } : {}), ...(b ? { $lt: b.end } : {}) });
    }
    case 'string':
    case 'user_data': {
      const lowNumber = low === null ? null : parseNumber(low);
      const highNumber = high === null ? null : parseNumber(high);
      const numeric = field.kind === 'user_data' && (low === null || lowNumber !== null) && (high === null || highNumber !== null);
      if (numeric) {
        const [a, b] = lowNumber !== null && highNumber !== null && lowNumber > highNumber ? [highNumber, lowNumber] : [lowNumber, highNumber];
        return anyPath(field.paths, { ...(a !== null ? { $gte: a } : {}), ...(b !== null ? { $lte: b } : {}) });
      }
      const [a, b] = low !== null && high !== null && low > high ? [high, low] : [low, high];
      // A date-like upper bound includes every longer instant of that prefix (`2025-04-28T10:00`).
      const upper = b !== null && DATE_LIKE.test(b) ? `${b}${TEXT_MAX}` : b;
      return anyPath(field.paths, { ...(a !== null ? { $gte: a } : {}), ...(upper !== null ? { $lte: upper } : {}) });
    }
    default: {
      const _: never = field.kind;
      return _;
    }
  }
}

/** Sorts after every string that starts with the same prefix (BMP text). */
const TEXT_MAX = '\uffff';
const DATE_LIKE = /^\d{4}-\d{2}(-\d{2}(T[\d:.]*)?)?/u;
const NUMBER = /^-?\d+(\.\d+)?$/u;

function parseNumber(text: string): number | null {
  if (!NUMBER.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function parseBoolean(text: string): boolean | null {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : null;
}

/** The instants `[start, end)` an ISO-8601 instant or prefix names. */
export interface Period {
  readonly start: Date;
  readonly end: Date;
}

const PERIOD =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/u;

/**
 * The period an ISO-8601 instant or prefix names (Dmart's date formats: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
 * `YYYY-MM-DDTHH`, `...:MM`, `...:SS`, `...:SS.ffffff`), in UTC unless it ends with `Z` or `±HH:MM`:
 * `2025-04` is `[2025-04-01T00:00Z, 2025-05-01T00:00Z)`; an instant with fractions of a second is 1 ms long.
 * `null` when `text` is not such a value or names an impossible date. Pure.
 */
export function parsePeriod(text: string): Period | null {
  const m = PERIOD.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const parts = [Number(y), mo ? Number(mo) - 1 : 0, d ? Number(d) : 1, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0];
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const local = Date.UTC(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], ms);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== parts[0] ||
    check.getUTCMonth() !== parts[1] ||
    check.getUTCDate() !== parts[2] ||
    check.getUTCHours() !== parts[3] ||
    check.getUTCMinutes() !== parts[4] ||
    check.getUTCSeconds() !== parts[5]
  ) {
    return null;
  }
  const offsetMs = zoneOffsetMs(zone);
  if (offsetMs === null) return null;
  const start = local - offsetMs;
  const next = new Date(local);
  if (frac) next.setUTCMilliseconds(next.getUTCMilliseconds() + 1);
  else if (s) next.setUTCSeconds(next.getUTCSeconds() + 1);
  else if (mi) next.setUTCMinutes(next.getUTCMinutes() + 1);
  else if (h) next.setUTCHours(next.getUTCHours() + 1);
  else if (d) next.setUTCDate(next.getUTCDate() + 1);
  else if (mo) next.setUTCMonth(next.getUTCMonth() + 1);
  else next.setUTCFullYear(next.getUTCFullYear() + 1);
  return { start: new Date(start), end: new Date(next.getTime() - offsetMs) };
}

function zoneOffsetMs(zone: string | undefined): number | null {
  if (!zone || zone === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/u.exec(zone);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 14 || minutes > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/**
 * The `$regex` source of a pattern: every literal piece escaped (so user text never acts as regex syntax), `*`
 * as `.*`; `anchored` for a field value (the whole value must match), unanchored for "contains". Pure.
 */
export function regexSource(pattern: SearchPattern, anchored: boolean): string {
  const body = pattern.kind === 'exact' ? escapeRegex(pattern.text) : pattern.parts.map(escapeRegex).join('.*');
  return anchored ? `^${body}$` : body;
}

/**
 * Escapes every regex metacharacter outside a character class (`\ ^ $ . * + ? ( ) [ ] { } |`); MongoDB's PCRE
 * and ECMAScript agree on these escapes. Pure.
 */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
