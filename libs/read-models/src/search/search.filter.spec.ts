import { parseSearch } from './search.parser';
import { escapeRegex, MATCH_NOTHING, parsePeriod, regexSource, searchFilter, TEXT_SEARCH_PATHS } from './search.filter';
import { resolveSortPath, resolveTicketField } from './ticket-fields';

/**
 * The filter builder: search tree -> MongoDB filter on the stored `tickets` shape, built only from whitelisted
 * operators and paths (pure; the same queries run against a real server in ticket-search.int.spec.ts).
 */
const filterOf = (search: string) => searchFilter(parseSearch(search).root);
const d = (iso: string) => new Date(iso);

/** Every key of a filter, at any depth (to check that only whitelisted operators and paths appear). */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, out));
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  }
  return out;
}
const OPERATORS = new Set([
  '$and', '$or', '$nor', '$in', '$gt', '$gte', '$lt', '$lte', '$exists', '$ne', '$regex', '$options',
  '$text', '$search', '$caseSensitive', '$diacriticSensitive',
]);
const text = (search: string) => ({ $text: { $search: search, $caseSensitive: false, $diacriticSensitive: false } });
const anyTextAttribute = (regex: string) => ({ $or: TEXT_SEARCH_PATHS.map((path) => ({ [path]: { $regex: regex, $options: 'i' } })) });

describe('searchFilter', () => {
  describe('typed attributes', () => {
    it('compares strings exactly, wildcards as anchored case-insensitive patterns', () => {
      expect(filterOf('@state:new').filter).toEqual({ state: 'new' });
      expect(filterOf('@shortname:ab*').filter).toEqual({ shortname: { $regex: '^ab.*$', $options: 'i' } });
      expect(filterOf('@state:new|open').filter).toEqual({ $or: [{ state: 'new' }, { state: 'open' }] });
      expect(filterOf('@owner_shortname:>m').filter).toEqual({ owner_shortname: { $gt: 'm' } });
    });

    it('reads a lone * as "has the attribute"', () => {
      expect(filterOf('@owner_group_shortname:*').filter).toEqual({ owner_group_shortname: { $exists: true, $ne: null } });
    });

    it('matches tags element-wise', () => {
      expect(filterOf('@tags:vip').filter).toEqual({ tags: 'vip' });
    });

    it('reads booleans in any case and matches nothing for other values', () => {
      expect(filterOf('@is_open:True').filter).toEqual({ is_open: true });
      expect(filterOf('@is_active:false').filter).toEqual({ is_active: false });
      expect(filterOf('@is_open:maybe').filter).toEqual(MATCH_NOTHING);
    });

    it('reads dates as the whole period they name, in UTC unless they carry an offset', () => {
      expect(filterOf('@created_at:2025-04-28').filter).toEqual({ created_at: { $gte: d('2025-04-28T00:00:00Z'), $lt: d('2025-04-29T00:00:00Z') } });
      expect(filterOf('@created_at:2025-12').filter).toEqual({ created_at: { $gte: d('2025-12-01T00:00:00Z'), $lt: d('2026-01-01T00:00:00Z') } });
      expect(filterOf('@created_at:>2025-04-28').filter).toEqual({ created_at: { $gte: d('2025-04-29T00:00:00Z') } });
      expect(filterOf('@created_at:>=2025-04-28').filter).toEqual({ created_at: { $gte: d('2025-04-28T00:00:00Z') } });
      expect(filterOf('@created_at:<2025-04-28').filter).toEqual({ created_at: { $lt: d('2025-04-28T00:00:00Z') } });
      expect(filterOf('@updated_at:<=2025-04-28T10').filter).toEqual({ updated_at: { $lt: d('2025-04-28T11:00:00Z') } });
      expect(filterOf('@created_at:[2025-02-01 2025-01-01]').filter).toEqual({
        created_at: { $gte: d('2025-01-01T00:00:00Z'), $lt: d('2025-02-02T00:00:00Z') },
      });
      expect(filterOf('@created_at:yesterday').filter).toEqual(MATCH_NOTHING);
    });
  });

  describe('objects with known members', () => {
    it('searches every member when the object is named alone', () => {
      expect(filterOf('@displayname:Printer').filter).toEqual({
        $or: [{ 'displayname.en': 'Printer' }, { 'displayname.ar': 'Printer' }, { 'displayname.ku': 'Printer' }],
      });
      expect(filterOf('@reporter.msisdn:9647').filter).toEqual({ 'reporter.msisdn': '9647' });
    });

    it('escapes collaborator actions as stored', () => {
      expect(filterOf('@collaborators.approve:bob').filter).toEqual({ 'collaborators.approve': 'bob' });
      expect(filterOf('@collaborators.$escalate.now:bob').filter).toEqual({ 'collaborators.%24escalate%2Enow': 'bob' });
    });
  });

  describe('user data (payload body, reporter channel address)', () => {
    it('matches a number-like value as text or number, and compares numbers', () => {
      expect(filterOf('@payload.body.priority:5').filter).toEqual({ 'payload.body.priority': { $in: ['5', 5] } });
      expect(filterOf('@payload.body.priority:>=4').filter).toEqual({ 'payload.body.priority': { $gte: 4 } });
      expect(filterOf('@payload.body.priority:[5 2]').filter).toEqual({ 'payload.body.priority': { $gte: 2, $lte: 5 } });
    });

    it('matches true/false as boolean or text', () => {
      expect(filterOf('@payload.body.urgent:true').filter).toEqual({ 'payload.body.urgent': { $in: ['true', true] } });
    });

    it('matches a date-like value as a prefix of the stored text', () => {
      expect(filterOf('@payload.body.due:2025-04-28').filter).toEqual({ 'payload.body.due': { $regex: '^2025-04-28', $options: 'i' } });
      expect(filterOf('@payload.body.due:<=2025-04-28').filter).toEqual({ 'payload.body.due': { $lte: '2025-04-28\uffff' } });
    });

    it('escapes each key segment as stored (dots, leading $, %)', () => {
      expect(filterOf('@payload.body.a.b:x').filter).toEqual({ 'payload.body.a.b': 'x' });
      expect(filterOf('@payload.body.$where:x').filter).toEqual({ 'payload.body.%24where': 'x' });
      expect(filterOf('@payload.body.50%:x').filter).toEqual({ 'payload.body.50%25': 'x' });
      expect(filterOf('@reporter.channel_address.$sms:a').filter).toEqual({ 'reporter.channel_address.%24sms': 'a' });
    });
  });

  describe('negation', () => {
    it('is $nor, which also matches tickets without the attribute', () => {
      expect(filterOf('-@state:closed').filter).toEqual({ $nor: [{ state: 'closed' }] });
      expect(filterOf('@state:!closed|rejected').filter).toEqual({ $nor: [{ $or: [{ state: 'closed' }, { state: 'rejected' }] }] });
    });
  });

  describe('bare words', () => {
    it('are one $text search of quoted phrases, all required, with the field terms beside it', () => {
      expect(filterOf('printer broken').filter).toEqual(text('"printer" "broken"'));
      expect(filterOf('"paper jam" -spam @state:new').filter).toEqual({ $and: [text('"paper jam" -"spam"'), { state: 'new' }] });
      expect(filterOf('a.b+c?').filter).toEqual(text('"a.b+c?"'));
    });

    it('take alternative words as any of them', () => {
      expect(filterOf('printer | scanner').filter).toEqual(text('printer scanner'));
      expect(filterOf('(printer) (scanner)').filter).toEqual(text('printer scanner'));
    });

    it('cannot end a phrase or start a negation: quotes are removed from the user\'s text', () => {
      expect(filterOf('\\"a\\" -b').filter).toEqual(text('"a" -"b"'));
      expect(filterOf('"x\\" -\\"y"').filter).toEqual(text('"x  - y"'));
    });

    it('fall back to "contains" in the text attributes where $text cannot express them', () => {
      expect(filterOf('prin*').filter).toEqual(anyTextAttribute('prin.*'));
      expect(filterOf('-spam').filter).toEqual({ $nor: [anyTextAttribute('spam')] });
      expect(filterOf('(printer @tags:vip) (scanner)').filter).toEqual({
        $or: [{ $and: [anyTextAttribute('printer'), { tags: 'vip' }] }, anyTextAttribute('scanner')],
      });
      expect(filterOf('printer | @tags:vip').filter).toEqual({ $or: [anyTextAttribute('printer'), { tags: 'vip' }] });
      expect(filterOf('"(("').filter).toEqual(anyTextAttribute('\\(\\('));
    });
  });

  describe('combinations', () => {
    it('maps AND, OR and NOT onto $and, $or and $nor', () => {
      expect(filterOf('(@state:new @is_open:true) (-@tags:vip)').filter).toEqual({
        $or: [{ $and: [{ state: 'new' }, { is_open: true }] }, { $nor: [{ tags: 'vip' }] }],
      });
    });
  });

  describe('unknown fields', () => {
    it('drop out of the filter, as in Dmart, and are reported once each', () => {
      expect(filterOf('@colour:red @state:new @colour:blue @payload.body.*:x')).toEqual({
        filter: { state: 'new' },
        ignored_fields: ['colour', 'payload.body.*'],
      });
      expect(filterOf('-@colour:red')).toEqual({ filter: {}, ignored_fields: ['colour'] });
      expect(filterOf('(@colour:red) (@state:new)').filter).toEqual({ state: 'new' });
    });
  });

  describe('injection attempts', () => {
    const attempts = [
      '@state:$where',
      '@state:{"$gt":""}',
      '@$where:1',
      '@state.$ne:1',
      '@__proto__:1',
      '@constructor.prototype:1',
      '@payload.body.$where:function(){return true}',
      '@payload.body.__proto__.x:1',
      '$where',
      '@shortname:"(a+)+$"',
      '@shortname:*\\(a|a\\)*b*',
      '(a+)+$',
      '{"$gt": ""}',
      '@shortname:.*.*.*',
    ];

    it.each(attempts)('%s builds a filter of whitelisted operators and paths only', (search) => {
      const { filter } = filterOf(search);
      for (const key of keysOf(filter)) {
        if (key.startsWith('$')) expect(OPERATORS.has(key)).toBe(true);
        else expect(key === '_id' || resolvesToStoredPath(key)).toBe(true);
      }
    });

    it('keeps operator-looking text as values', () => {
      expect(filterOf('@state:$where').filter).toEqual({ state: '$where' });
      expect(filterOf('@state:{"$gt":""}').filter).toEqual({ state: '{"$gt":""}' });
      expect(filterOf('@$where:1').ignored_fields).toEqual(['$where']);
      expect(filterOf('@state.$ne:1').ignored_fields).toEqual(['state.$ne']);
    });

    it('escapes regex metacharacters so a pattern cannot backtrack', () => {
      expect(filterOf('@shortname:"(a+)+$"').filter).toEqual({ shortname: '(a+)+$' });
      expect(filterOf('@shortname:\\(a+\\)+$*').filter).toEqual({ shortname: { $regex: '^\\(a\\+\\)\\+\\$.*$', $options: 'i' } });
      expect(filterOf('@shortname:*\\(a|a\\)*').filter).toEqual({
        $or: [{ shortname: { $regex: '^.*\\(a$', $options: 'i' } }, { shortname: { $regex: '^a\\).*$', $options: 'i' } }],
      });
    });

    it('refuses patterns with more than 4 wildcards instead of running them', () => {
      expect(() => filterOf('.*.*.*.*.*.*.*.*')).toThrow(/more than 4 wildcards/);
    });
  });
});

/** Paths the builder may produce: whitelisted attributes, their members, escaped user-data paths. */
function resolvesToStoredPath(path: string): boolean {
  if (TEXT_SEARCH_PATHS.includes(path)) return true;
  if (/^(payload\.body|reporter\.channel_address|collaborators)\.[^$]/u.test(path)) return !path.split('.').some((s) => s.startsWith('$'));
  return resolveTicketField(path) !== null;
}

describe('parsePeriod', () => {
  it('reads every Dmart date format, with offsets', () => {
    expect(parsePeriod('2025')).toEqual({ start: d('2025-01-01T00:00:00Z'), end: d('2026-01-01T00:00:00Z') });
    expect(parsePeriod('2025-04-28T12:30')).toEqual({ start: d('2025-04-28T12:30:00Z'), end: d('2025-04-28T12:31:00Z') });
    expect(parsePeriod('2025-04-28T12:30:45')).toEqual({ start: d('2025-04-28T12:30:45Z'), end: d('2025-04-28T12:30:46Z') });
    expect(parsePeriod('2025-04-28T12:30:45.123456Z')).toEqual({ start: d('2025-04-28T12:30:45.123Z'), end: d('2025-04-28T12:30:45.124Z') });
    expect(parsePeriod('2025-04-28T03+03:00')).toEqual({ start: d('2025-04-28T00:00:00Z'), end: d('2025-04-28T01:00:00Z') });
  });

  it('refuses impossible dates and other text', () => {
    expect(parsePeriod('2025-02-30')).toBeNull();
    expect(parsePeriod('2025-13')).toBeNull();
    expect(parsePeriod('tomorrow')).toBeNull();
    expect(parsePeriod('2025-04-28T25')).toBeNull();
  });
});

describe('regexSource / escapeRegex', () => {
  it('escapes every metacharacter, then joins wildcard pieces with .*', () => {
    expect(escapeRegex('\\^$.*+?()[]{}|')).toBe('\\\\\\^\\$\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|');
    expect(regexSource({ kind: 'wildcard', parts: ['a.', '+b'] }, true)).toBe('^a\\..*\\+b$');
    expect(regexSource({ kind: 'exact', text: 'x' }, false)).toBe('x');
  });

  it('produces patterns that match only the literal text', () => {
    const literal = '(a+)+$[x]';
    expect(new RegExp(`^${escapeRegex(literal)}$`).test(literal)).toBe(true);
    expect(new RegExp(`^${escapeRegex(literal)}$`).test('aaaa')).toBe(false);
  });
});

describe('resolveSortPath', () => {
  it('accepts attributes, payload body keys and Dmart spellings', () => {
    expect(resolveSortPath('created_at')).toBe('created_at');
    expect(resolveSortPath('@state')).toBe('state');
    expect(resolveSortPath('attributes.owner_shortname')).toBe('owner_shortname');
    expect(resolveSortPath('body.priority')).toBe('payload.body.priority');
    expect(resolveSortPath('payload.body.a%b')).toBe('payload.body.a%25b');
  });

  it('refuses unknown or ambiguous ones', () => {
    expect(resolveSortPath('colour')).toBeNull();
    expect(resolveSortPath('displayname')).toBeNull();
    expect(resolveSortPath('$natural')).toBeNull();
  });
});
