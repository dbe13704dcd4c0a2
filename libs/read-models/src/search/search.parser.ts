import { ValidationError } from '@tickets/domain';
import type {
  Comparison,
  FieldPredicate,
  ParsedSearch,
  SearchNode,
  SearchPattern,
  ValueTest,
} from './search.ast';

/**
 * A hand-written recursive-descent parser for Dmart's search language (the product's own query language;
 * syntax table in docs/query-api.md). It follows Dmart's SQL mode (`parse_search_expression` in dmart's
 * `data_adapters/sql/adapter_helpers.py`):
 *
 * ```
 * search      := top*                         top-level alternatives are OR-ed (Dmart: each parenthesised
 * top         := group | run | '|'              group, and each run of terms outside parentheses, is one)
 * group       := '-'? '(' disjunction ')'       empty parentheses are dropped; an unclosed one ends at the end
 * disjunction := conjunction ('|' conjunction)*  '|' stands alone (spaces or parentheses around it)
 * conjunction := (item | 'and')*               side by side = AND; the keyword `and` (any case) is skipped
 * item        := group | term
 * term        := '-'? '@' path ':' '!'? value  |  '-'? word  |  '-'? '"' phrase '"'
 * value       := '[' bound (' ' | ',') bound ']'          inclusive range; `-inf`/`+inf` leave it open
 *              | '"' text '"'                             exact text, `*` and `|` literal
 *              | alternative ('|' alternative)*           any of them
 * alternative := ('>' | '>=' | '<' | '<=')? text           `*` in text is a wildcard (only without a prefix)
 * ```
 * A backslash makes the next character literal (`\*`, `\|`, `\ `, `\(`). Malformed terms (`@field` without
 * `:`, `@f:`, an unclosed `[` or `"`, a stray `)`) are skipped and reported in `ignored_terms`, never an
 * error, as Dmart does.
 *
 * Limits (a query never costs more than these; beyond them the search is refused):
 * {@link SEARCH_LIMITS}.
 */

/** Bounds on a search's size and shape; exceeding one is a `ValidationError` (422). */
export const SEARCH_LIMITS = {
  /** Characters in the whole search (Dmart's `Query.search` `max_length`). */
  maxLength: 1024,
  /** Field and text terms. */
  maxTerms: 64,
  /** Nesting depth of parentheses. */
  maxDepth: 8,
  /** `|`-separated alternatives in one field value. */
  maxAlternatives: 32,
  /** Characters of one value, pattern or range bound (without its `*`s). */
  maxValueLength: 256,
  /** `*` wildcards in one pattern (runs of `*` count once). */
  maxWildcards: 4,
  /** Characters of one field path. */
  maxFieldLength: 256,
} as const;

/**
 * Parses a Dmart search string into its tree (see the grammar above). Pure.
 * @returns `{root, ignored_terms}`: `root` is `null` when nothing usable was found (the search then filters nothing)
 * @throws ValidationError (422) when the search exceeds {@link SEARCH_LIMITS}
 */
export function parseSearch(search: string): ParsedSearch {
  if (search.length > SEARCH_LIMITS.maxLength) {
    throw new ValidationError(`search is longer than ${SEARCH_LIMITS.maxLength} characters`);
  }
  return new SearchParser(search).parse();
}

/** A character of an unquoted token; `escaped` when it followed a backslash (then never an operator). */
interface RawChar {
  readonly ch: string;
  readonly escaped: boolean;
}

const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/u.test(ch);
const isDelimiter = (ch: string | undefined): boolean => ch === undefined || isSpace(ch) || ch === '(' || ch === ')';

class SearchParser {
  private index = 0;
  private depth = 0;
  private terms = 0;
  private readonly ignored: string[] = [];

  constructor(private readonly text: string) {}

  parse(): ParsedSearch {
    const alternatives: SearchNode[] = [];
    let run: SearchNode[] = [];
    const flush = () => {
      const node = and(run);
      if (node) alternatives.push(node);
      run = [];
    };
    for (;;) {
      this.skipSpaces();
      const ch = this.peek();
      if (ch === undefined) break;
      if (ch === ')') {
        this.index++;
        this.ignored.push(')');
      } else if (ch === '|') {
        this.index++;
        flush();
      } else if (this.atGroup()) {
        flush();
        const group = this.parseGroup();
        if (group) alternatives.push(group);
      } else {
        const term = this.parseTerm();
        if (term) run.push(term);
      }
    }
    flush();
    return { root: or(alternatives), ignored_terms: this.ignored };
  }

  /** `'-'? '(' disjunction ')'`; the caller checked {@link atGroup}. */
  private parseGroup(): SearchNode | null {
    const negated = this.peek() === '-';
    if (negated) this.index++;
    this.index++; // '('
    if (++this.depth > SEARCH_LIMITS.maxDepth) {
      throw new ValidationError(`search nests parentheses deeper than ${SEARCH_LIMITS.maxDepth}`);
    }
    const body = this.parseDisjunction();
    if (this.peek() === ')') this.index++;
    this.depth--;
    return body && negated ? not(body) : body;
  }

  private parseDisjunction(): SearchNode | null {
    const alternatives: SearchNode[] = [];
    let items: SearchNode[] = [];
    const flush = () => {
      const node = and(items);
      if (node) alternatives.push(node);
      items = [];
    };
    for (;;) {
      this.skipSpaces();
      const ch = this.peek();
      if (ch === undefined || ch === ')') break;
      if (ch === '|') {
        this.index++;
        flush();
      } else if (this.atGroup()) {
        const group = this.parseGroup();
        if (group) items.push(group);
      } else {
        const term = this.parseTerm();
        if (term) items.push(term);
      }
    }
    flush();
    return or(alternatives);
  }

  /** One term at a non-space, non-parenthesis character; `null` for `and` and for skipped malformed terms. */
  private parseTerm(): SearchNode | null {
    const start = this.index;
    if (this.atKeywordAnd()) {
      this.index += 3;
      return null;
    }
    let negated = false;
    if (this.peek() === '-') {
      if (isDelimiter(this.peek(1))) {
        this.index++;
        this.ignored.push('-');
        return null;
      }
      negated = true;
      this.index++;
    }
    const node = this.peek() === '@' ? this.parseFieldTerm(start) : this.parseTextTerm(start);
    if (!node) return null;
    if (++this.terms > SEARCH_LIMITS.maxTerms) {
      throw new ValidationError(`search has more than ${SEARCH_LIMITS.maxTerms} terms`);
    }
    return negated ? not(node) : node;
  }

  /** `'@' path ':' '!'? value`, at the `@`. */
  private parseFieldTerm(start: number): SearchNode | null {
    this.index++; // '@'
    let field = '';
    while (this.peek() !== ':' && !isDelimiter(this.peek())) field += this.text[this.index++];
    if (this.peek() !== ':' || field === '' || field.length > SEARCH_LIMITS.maxFieldLength) {
      return this.skipMalformed(start);
    }
    this.index++; // ':'
    let negated = false;
    if (this.peek() === '!') {
      negated = true;
      this.index++;
    }
    let predicate: FieldPredicate | null;
    const ch = this.peek();
    if (ch === '[') predicate = this.parseRange();
    else if (ch === '"') {
      const text = this.readQuoted();
      predicate = text === null || !isDelimiter(this.peek()) ? null : anyOf([{ op: 'eq', pattern: exact(text) }]);
    } else predicate = this.parseAlternatives();
    if (!predicate) return this.skipMalformed(start);
    const node: SearchNode = { kind: 'field', field, predicate };
    return negated ? not(node) : node;
  }

  /** `'[' bound (' ' | ',') bound ']'`, at the `[`; `null` when malformed. */
  private parseRange(): FieldPredicate | null {
    const close = this.text.indexOf(']', this.index);
    if (close < 0) return null;
    const inner = this.text.slice(this.index + 1, close);
    this.index = close + 1;
    if (!isDelimiter(this.peek())) return null;
    const bounds = inner.split(/[\s,]+/u).filter(Boolean);
    if (bounds.length !== 2) return null;
    const [low, high] = bounds.map((bound) => {
      checkLength(bound);
      return /^[-+]?inf$/iu.test(bound) ? null : bound;
    });
    return { kind: 'range', low, high };
  }

  /** `alternative ('|' alternative)*`; `null` when no alternative holds text. */
  private parseAlternatives(): FieldPredicate | null {
    const raw = this.readRaw();
    const pieces: RawChar[][] = [[]];
    for (const c of raw) {
      if (c.ch === '|' && !c.escaped) pieces.push([]);
      else pieces[pieces.length - 1].push(c);
    }
    const tests = pieces.map(toValueTest).filter((t): t is ValueTest => t !== null);
    if (tests.length > SEARCH_LIMITS.maxAlternatives) {
      throw new ValidationError(`a search value has more than ${SEARCH_LIMITS.maxAlternatives} alternatives`);
    }
    return tests.length === 0 ? null : anyOf(tests);
  }

  /** A bare word or a quoted phrase. */
  private parseTextTerm(start: number): SearchNode | null {
    if (this.peek() === '"') {
      const text = this.readQuoted();
      if (text === null || !isDelimiter(this.peek())) return this.skipMalformed(start);
      return text === '' ? null : { kind: 'text', pattern: exact(text) };
    }
    const pattern = toPattern(this.readRaw());
    return pattern ? { kind: 'text', pattern } : null;
  }

  /** Characters up to the next unescaped space or parenthesis; a backslash escapes the next character. */
  private readRaw(): RawChar[] {
    const out: RawChar[] = [];
    while (!isDelimiter(this.peek())) {
      const ch = this.text[this.index++];
      if (ch === '\\' && this.peek() !== undefined) out.push({ ch: this.text[this.index++], escaped: true });
      else out.push({ ch, escaped: false });
    }
    return out;
  }

  /** `"..."` at the opening quote, with backslash escapes; `null` (and consumed to the end) when unclosed. */
  private readQuoted(): string | null {
    this.index++; // '"'
    let text = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) return null;
      this.index++;
      if (ch === '"') break;
      if (ch === '\\' && this.peek() !== undefined) text += this.text[this.index++];
      else text += ch;
    }
    checkLength(text);
    return text;
  }

  /** Skips the rest of a malformed term (to the next space or parenthesis) and records it as written. */
  private skipMalformed(start: number): null {
    while (!isDelimiter(this.peek())) this.index++;
    this.ignored.push(this.text.slice(start, this.index));
    return null;
  }

  private atGroup(): boolean {
    return this.peek() === '(' || (this.peek() === '-' && this.peek(1) === '(');
  }

  private atKeywordAnd(): boolean {
    return this.text.slice(this.index, this.index + 3).toLowerCase() === 'and' && isDelimiter(this.peek(3));
  }

  private skipSpaces(): void {
    while (isSpace(this.peek())) this.index++;
  }

  private peek(offset = 0): string | undefined {
    return this.text[this.index + offset];
  }
}

const COMPARISONS: readonly [string, Comparison][] = [
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['>', 'gt'],
  ['<', 'lt'],
];

/** One `|`-separated alternative: an optional unescaped comparison prefix, then the text. */
function toValueTest(chars: readonly RawChar[]): ValueTest | null {
  for (const [prefix, op] of COMPARISONS) {
    const head = chars.slice(0, prefix.length);
    if (head.length === prefix.length && head.every((c, i) => !c.escaped && c.ch === prefix[i])) {
      const text = chars.slice(prefix.length).map((c) => c.ch).join('');
      if (text === '') return null;
      checkLength(text);
      return { op, pattern: exact(text) };
    }
  }
  const pattern = toPattern(chars);
  return pattern ? { op: 'eq', pattern } : null;
}

/** Text with unescaped `*` wildcards; `null` when empty. */
function toPattern(chars: readonly RawChar[]): SearchPattern | null {
  if (chars.length === 0) return null;
  const parts: string[] = [''];
  for (const c of chars) {
    if (c.ch === '*' && !c.escaped) {
      // A run of `*` is one wildcard: only start a new part after a non-empty one (or at the very start).
      if (parts[parts.length - 1] !== '' || parts.length === 1) parts.push('');
    } else parts[parts.length - 1] += c.ch;
  }
  checkLength(parts.join(''));
  if (parts.length === 1) return exact(parts[0]);
  if (parts.length - 1 > SEARCH_LIMITS.maxWildcards) {
    throw new ValidationError(`a search pattern has more than ${SEARCH_LIMITS.maxWildcards} wildcards`);
  }
  return { kind: 'wildcard', parts };
}

function checkLength(text: string): void {
  if (text.length > SEARCH_LIMITS.maxValueLength) {
    throw new ValidationError(`a search value is longer than ${SEARCH_LIMITS.maxValueLength} characters`);
  }
}

const exact = (text: string): SearchPattern => ({ kind: 'exact', text });
const anyOf = (tests: readonly ValueTest[]): FieldPredicate => ({ kind: 'any_of', tests });

/** AND of the items: `null` for none, the item itself for one; nested ANDs are flattened. */
function and(items: readonly SearchNode[]): SearchNode | null {
  const flat = items.flatMap((item) => (item.kind === 'and' ? item.items : [item]));
  if (flat.length === 0) return null;
  return flat.length === 1 ? flat[0] : { kind: 'and', items: flat };
}

/** OR of the alternatives: `null` for none, the alternative itself for one; nested ORs are flattened. */
function or(alternatives: readonly SearchNode[]): SearchNode | null {
  const flat = alternatives.flatMap((alt) => (alt.kind === 'or' ? alt.alternatives : [alt]));
  if (flat.length === 0) return null;
  return flat.length === 1 ? flat[0] : { kind: 'or', alternatives: flat };
}

/** NOT of the operand; a double negation cancels out. */
function not(operand: SearchNode): SearchNode {
  return operand.kind === 'not' ? operand.operand : { kind: 'not', operand };
}
