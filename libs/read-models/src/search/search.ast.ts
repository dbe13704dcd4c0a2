/**
 * The typed syntax tree of Dmart's search language (the `search` of `POST /managed/query`), as
 * `parseSearch` (search.parser.ts) produces it and `searchFilter` (search.filter.ts) turns it into a MongoDB
 * filter. The syntax, with examples, is in docs/query-api.md; the rules follow Dmart's SQL mode
 * (`parse_search_expression` / `parse_search_string` in dmart's `data_adapters/sql/adapter_helpers.py`).
 *
 * The tree holds user text only as values (`SearchPattern.text`/`parts`, range bounds) and field names as
 * written; it never holds a query operator. Field names are resolved against a whitelist later.
 */

/** Any node. */
export type SearchNode = SearchOr | SearchAnd | SearchNot | FieldTerm | TextTerm;

/** Matches when any alternative matches (top-level groups, or `|` between terms). Two or more alternatives. */
export interface SearchOr {
  readonly kind: 'or';
  readonly alternatives: readonly SearchNode[];
}

/** Matches when every item matches (terms side by side, optionally joined by the keyword `and`). Two or more. */
export interface SearchAnd {
  readonly kind: 'and';
  readonly items: readonly SearchNode[];
}

/** Matches when the operand does not (`-@field:v`, `@field:!v`, `-word`, `-( ... )`). */
export interface SearchNot {
  readonly kind: 'not';
  readonly operand: SearchNode;
}

/** `@field:value`: a test of one named attribute (`field` as written, e.g. `payload.body.priority`). */
export interface FieldTerm {
  readonly kind: 'field';
  readonly field: string;
  readonly predicate: FieldPredicate;
}

/** A bare word or quoted phrase: some text attribute of the ticket contains it (case-insensitive). */
export interface TextTerm {
  readonly kind: 'text';
  readonly pattern: SearchPattern;
}

/** What a field term tests. */
export type FieldPredicate = AnyOf | RangePredicate;

/** `@f:a|b|>5`: any of the tests holds (one or more). */
export interface AnyOf {
  readonly kind: 'any_of';
  readonly tests: readonly ValueTest[];
}

/** `@f:[low high]` (or `[low,high]`): inclusive range; a `null` bound (`-inf`/`+inf`) is open. */
export interface RangePredicate {
  readonly kind: 'range';
  readonly low: string | null;
  readonly high: string | null;
}

/** Comparison of a value test: `eq` (no prefix), `gt` (`>`), `gte` (`>=`), `lt` (`<`), `lte` (`<=`). */
export type Comparison = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';

/** One value test. Only `eq` carries wildcard patterns; comparisons always carry exact text. */
export interface ValueTest {
  readonly op: Comparison;
  readonly pattern: SearchPattern;
}

/**
 * A value as written: exact text, or a wildcard pattern. `parts` are the literal pieces between `*`s
 * (`jo*n` -> `['jo', 'n']`, `*x` -> `['', 'x']`, `*` -> `['', '']`); runs of `*` count as one.
 */
export type SearchPattern =
  | { readonly kind: 'exact'; readonly text: string }
  | { readonly kind: 'wildcard'; readonly parts: readonly string[] };

/**
 * Result of `parseSearch`: the tree (`null` when the search holds no usable term: it then filters nothing) and
 * the terms the parser skipped as malformed (e.g. `@field` without `:`, an unclosed `[`), as written.
 */
export interface ParsedSearch {
  readonly root: SearchNode | null;
  readonly ignored_terms: readonly string[];
}
