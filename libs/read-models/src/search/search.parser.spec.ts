import { ValidationError } from '@tickets/domain';
import type { SearchNode } from './search.ast';
import { parseSearch, SEARCH_LIMITS } from './search.parser';

/**
 * Dmart's search syntax (docs/query-api.md; Dmart's SQL mode `parse_search_expression`) parsed into the typed
 * tree: one specification per construct, then the tolerance and the limits.
 */
const exact = (text: string) => ({ kind: 'exact', text });
const eq = (field: string, text: string): SearchNode => ({
  kind: 'field',
  field,
  predicate: { kind: 'any_of', tests: [{ op: 'eq', pattern: { kind: 'exact', text } }] },
});
const root = (search: string) => parseSearch(search).root;

describe('parseSearch', () => {
  describe('when the search is empty or blank', () => {
    it('has no tree and ignores nothing', () => {
      expect(parseSearch('')).toEqual({ root: null, ignored_terms: [] });
      expect(parseSearch('   ')).toEqual({ root: null, ignored_terms: [] });
    });
  });

  describe('@field:value', () => {
    it('is an exact test of that field', () => {
      expect(root('@state:new')).toEqual(eq('state', 'new'));
    });

    it('keeps nested field paths as written', () => {
      expect(root('@reporter.msisdn:9647')).toEqual(eq('reporter.msisdn', '9647'));
      expect(root('@collaborators.approve:bob')).toEqual(eq('collaborators.approve', 'bob'));
      expect(root('@payload.body.k:v')).toEqual(eq('payload.body.k', 'v'));
    });

    it('splits alternatives on |', () => {
      expect(root('@state:new|open')).toEqual({
        kind: 'field',
        field: 'state',
        predicate: { kind: 'any_of', tests: [{ op: 'eq', pattern: exact('new') }, { op: 'eq', pattern: exact('open') }] },
      });
    });

    it('reads * as a wildcard and collapses runs of it', () => {
      expect(root('@shortname:ab*c**d')).toEqual({
        kind: 'field',
        field: 'shortname',
        predicate: { kind: 'any_of', tests: [{ op: 'eq', pattern: { kind: 'wildcard', parts: ['ab', 'c', 'd'] } }] },
      });
      expect(root('@tags:*')).toMatchObject({ predicate: { tests: [{ pattern: { kind: 'wildcard', parts: ['', ''] } }] } });
    });

    it('reads >, >=, <, <= as comparisons of each alternative', () => {
      expect(root('@payload.body.n:>=5|<2')).toEqual({
        kind: 'field',
        field: 'payload.body.n',
        predicate: { kind: 'any_of', tests: [{ op: 'gte', pattern: exact('5') }, { op: 'lt', pattern: exact('2') }] },
      });
      expect(root('@created_at:>2025-01-01')).toMatchObject({ predicate: { tests: [{ op: 'gt', pattern: exact('2025-01-01') }] } });
      expect(root('@n:<=3')).toMatchObject({ predicate: { tests: [{ op: 'lte' }] } });
    });

    it('keeps * literal after a comparison', () => {
      expect(root('@n:>a*')).toMatchObject({ predicate: { tests: [{ op: 'gt', pattern: exact('a*') }] } });
    });

    it('reads a quoted value as exact text, with spaces, * and | literal', () => {
      expect(root('@displayname.en:"big * problem | now"')).toEqual(eq('displayname.en', 'big * problem | now'));
    });

    it('reads a backslash as "the next character is literal"', () => {
      expect(root('@shortname:a\\*b\\|c\\ d')).toEqual(eq('shortname', 'a*b|c d'));
      expect(root('@n:\\>5')).toEqual(eq('n', '>5'));
    });
  });

  describe('ranges', () => {
    it('reads [low high] and [low,high] as inclusive ranges', () => {
      const range = { kind: 'field', field: 'payload.body.n', predicate: { kind: 'range', low: '1', high: '10' } };
      expect(root('@payload.body.n:[1 10]')).toEqual(range);
      expect(root('@payload.body.n:[1,10]')).toEqual(range);
      expect(root('@payload.body.n:[ 1 , 10 ]')).toEqual(range);
    });

    it('reads -inf and +inf as open bounds', () => {
      expect(root('@n:[-inf 5]')).toMatchObject({ predicate: { low: null, high: '5' } });
      expect(root('@n:[5 +inf]')).toMatchObject({ predicate: { low: '5', high: null } });
    });

    it('reads date ranges', () => {
      expect(root('@created_at:[2025-01-01 2025-02-01T12:00]')).toMatchObject({
        predicate: { kind: 'range', low: '2025-01-01', high: '2025-02-01T12:00' },
      });
    });
  });

  describe('negation', () => {
    it('-@field:value is NOT the test', () => {
      expect(root('-@state:closed')).toEqual({ kind: 'not', operand: eq('state', 'closed') });
    });

    it('@field:!value is NOT the test too, of all its alternatives', () => {
      expect(root('@state:!closed|rejected')).toEqual({
        kind: 'not',
        operand: {
          kind: 'field',
          field: 'state',
          predicate: { kind: 'any_of', tests: [{ op: 'eq', pattern: exact('closed') }, { op: 'eq', pattern: exact('rejected') }] },
        },
      });
    });

    it('cancels a double negation', () => {
      expect(root('-@state:!closed')).toEqual(eq('state', 'closed'));
    });

    it('negates bare words and groups', () => {
      expect(root('-spam')).toEqual({ kind: 'not', operand: { kind: 'text', pattern: exact('spam') } });
      expect(root('-(@a:1 @b:2)')).toEqual({ kind: 'not', operand: { kind: 'and', items: [eq('a', '1'), eq('b', '2')] } });
    });
  });

  describe('bare words', () => {
    it('are text terms, quoted phrases too', () => {
      expect(root('printer')).toEqual({ kind: 'text', pattern: exact('printer') });
      expect(root('"paper jam"')).toEqual({ kind: 'text', pattern: exact('paper jam') });
      expect(root('jam*')).toEqual({ kind: 'text', pattern: { kind: 'wildcard', parts: ['jam', ''] } });
    });
  });

  describe('combinations (Dmart SQL mode)', () => {
    it('ANDs terms side by side and skips the keyword and', () => {
      const both = { kind: 'and', items: [eq('a', '1'), eq('b', '2')] };
      expect(root('@a:1 @b:2')).toEqual(both);
      expect(root('@a:1 and @b:2')).toEqual(both);
      expect(root('@a:1 AND @b:2')).toEqual(both);
    });

    it('ORs parenthesised groups, and runs of terms outside them, at the top level', () => {
      expect(root('(@a:1) (@b:2)')).toEqual({ kind: 'or', alternatives: [eq('a', '1'), eq('b', '2')] });
      expect(root('@a:1 @b:2 (@c:3 and @d:4)')).toEqual({
        kind: 'or',
        alternatives: [
          { kind: 'and', items: [eq('a', '1'), eq('b', '2')] },
          { kind: 'and', items: [eq('c', '3'), eq('d', '4')] },
        ],
      });
      expect(root('(@x:1 and word) @y:2')).toEqual({
        kind: 'or',
        alternatives: [{ kind: 'and', items: [eq('x', '1'), { kind: 'text', pattern: exact('word') }] }, eq('y', '2')],
      });
    });

    it('reads a standalone | as OR, inside groups too', () => {
      expect(root('@a:1 | @b:2')).toEqual({ kind: 'or', alternatives: [eq('a', '1'), eq('b', '2')] });
      expect(root('(@a:1 @b:2 | @c:3)')).toEqual({
        kind: 'or',
        alternatives: [{ kind: 'and', items: [eq('a', '1'), eq('b', '2')] }, eq('c', '3')],
      });
    });

    it('ANDs a group nested inside a group (Dmart flattens nested parentheses)', () => {
      expect(root('(@a:1 (@b:2 @c:3))')).toEqual({ kind: 'and', items: [eq('a', '1'), eq('b', '2'), eq('c', '3')] });
      expect(root('(@a:1 (@b:2 | @c:3))')).toEqual({
        kind: 'and',
        items: [eq('a', '1'), { kind: 'or', alternatives: [eq('b', '2'), eq('c', '3')] }],
      });
    });

    it('ends parentheses at a value boundary', () => {
      expect(root('(@a:1)')).toEqual(eq('a', '1'));
    });
  });

  describe('when terms are malformed', () => {
    it('skips and reports them instead of failing, as Dmart does', () => {
      expect(parseSearch('@invalidterm @a:1')).toEqual({ root: eq('a', '1'), ignored_terms: ['@invalidterm'] });
      expect(parseSearch('@a: @b:1')).toEqual({ root: eq('b', '1'), ignored_terms: ['@a:'] });
      expect(parseSearch('@a:[1 @b:1').ignored_terms).toEqual(['@a:[1']);
      expect(parseSearch('@a:[1 2 3] @b:1').ignored_terms).toEqual(['@a:[1 2 3]']);
      expect(parseSearch('@a:"open @b:1')).toEqual({ root: null, ignored_terms: ['@a:"open @b:1'] });
      expect(parseSearch(') @a:1 -')).toEqual({ root: eq('a', '1'), ignored_terms: [')', '-'] });
    });

    it('drops empty parentheses and closes unclosed ones at the end', () => {
      expect(root('() @a:1')).toEqual(eq('a', '1'));
      expect(root('(@a:1 @b:2')).toEqual({ kind: 'and', items: [eq('a', '1'), eq('b', '2')] });
    });
  });

  describe('injection attempts', () => {
    it('keeps operators and JSON as plain values', () => {
      expect(root('@state:$where')).toEqual(eq('state', '$where'));
      expect(root('@state:{"$gt":""}')).toEqual(eq('state', '{"$gt":""}'));
      expect(root('@$where:1')).toEqual(eq('$where', '1'));
      expect(root('@payload.body.$gt:1')).toEqual(eq('payload.body.$gt', '1'));
    });
  });

  describe('limits', () => {
    const refused = (search: string, message: RegExp) => {
      expect(() => parseSearch(search)).toThrow(ValidationError);
      expect(() => parseSearch(search)).toThrow(message);
    };

    it('refuses searches that are too long, too deep, too many terms or too wild', () => {
      refused('x'.repeat(SEARCH_LIMITS.maxLength + 1), /longer than 1024/);
      refused('('.repeat(SEARCH_LIMITS.maxDepth + 1) + '@a:1', /deeper than 8/);
      refused(Array.from({ length: SEARCH_LIMITS.maxTerms + 1 }, (_, i) => `w${i}`).join(' '), /more than 64 terms/);
      refused('@a:' + Array.from({ length: 33 }, (_, i) => `v${i}`).join('|'), /more than 32 alternatives/);
      refused('@a:*a*a*a*a*a*', /more than 4 wildcards/);
      refused(`@a:"${'y'.repeat(257)}"`, /longer than 256/);
    });

    it('accepts searches at the limits', () => {
      expect(parseSearch('('.repeat(SEARCH_LIMITS.maxDepth) + '@a:1').root).toEqual(eq('a', '1'));
      expect(parseSearch('@a:*a*a*a*').root).toMatchObject({ predicate: { tests: [{ pattern: { parts: ['', 'a', 'a', 'a', ''] } }] } });
    });
  });
});
