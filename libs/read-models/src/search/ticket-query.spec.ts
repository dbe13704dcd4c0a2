import { ValidationError } from '@tickets/domain';
import { MATCH_NOTHING } from './search.filter';
import {
  afterCursor,
  criteriaFingerprint,
  decodeCursor,
  encodeCursor,
  MAX_QUERY_LIMIT,
  resolveLimit,
  ticketFilter,
  ticketSort,
} from './ticket-query';

/** Dmart query criteria -> one filter on `tickets`; sort, limit and cursor rules (pure). */
describe('ticketFilter', () => {
  it('scopes to the space, and to the subpath and everything below it by default', () => {
    expect(ticketFilter({ space_name: 'acme', subpath: '/support/' }).filter).toEqual({
      $and: [{ space_name: 'acme' }, { $or: [{ subpath: 'support' }, { subpath: { $regex: '^support/' } }] }],
    });
  });

  it('takes only the subpath itself with exact_subpath, and the whole space for /', () => {
    expect(ticketFilter({ space_name: 'acme', subpath: 'support', exact_subpath: true }).filter).toEqual({
      $and: [{ space_name: 'acme' }, { subpath: 'support' }],
    });
    expect(ticketFilter({ space_name: 'acme', subpath: '/' }).filter).toEqual({ space_name: 'acme' });
    expect(ticketFilter({ space_name: 'acme', subpath: '/', exact_subpath: true }).filter).toEqual({
      $and: [{ space_name: 'acme' }, { subpath: '' }],
    });
  });

  it('escapes regex metacharacters of the subpath', () => {
    expect(ticketFilter({ space_name: 'acme', subpath: 'a.b' }).filter).toMatchObject({
      $and: [{}, { $or: [{ subpath: 'a.b' }, { subpath: { $regex: '^a\\.b/' } }] }],
    });
  });

  it('adds shortnames, tags, schemas, types and the created_at window', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    const to = new Date('2025-02-01T00:00:00Z');
    expect(
      ticketFilter({
        space_name: 'acme',
        filter_shortnames: ['t1', 't2'],
        filter_tags: ['vip'],
        filter_schema_names: ['meta', 'complaint'],
        filter_types: ['ticket', 'content'],
        from_date: from,
        to_date: to,
      }).filter,
    ).toEqual({
      $and: [
        { space_name: 'acme' },
        { shortname: { $in: ['t1', 't2'] } },
        { tags: { $in: ['vip'] } },
        { 'payload.schema_shortname': { $in: ['complaint'] } },
        { created_at: { $gte: from, $lte: to } },
      ],
    });
  });

  it('matches nothing when the resource types leave out tickets', () => {
    expect(ticketFilter({ space_name: 'acme', filter_types: ['content'] }).filter).toEqual({ $and: [{ space_name: 'acme' }, MATCH_NOTHING] });
  });

  it('adds the search and reports what it ignored', () => {
    expect(ticketFilter({ space_name: 'acme', search: '@state:new @colour:red @x' })).toEqual({
      filter: { $and: [{ space_name: 'acme' }, { state: 'new' }] },
      ignored_fields: ['colour'],
      ignored_terms: ['@x'],
    });
  });
});

describe('ticketSort', () => {
  it('is newest first by default, with _id breaking ties', () => {
    expect(ticketSort()).toEqual({ sort: { created_at: -1, _id: -1 } });
  });

  it('sorts by the attribute in sort_type order, ascending by default (Dmart SQL mode)', () => {
    expect(ticketSort('payload.body.priority')).toEqual({ sort: { 'payload.body.priority': 1, _id: 1 } });
    expect(ticketSort('state', 'descending')).toEqual({ sort: { state: -1, _id: -1 } });
  });

  it('falls back to the default order for an unknown sort_by and reports it', () => {
    expect(ticketSort('colour')).toEqual({ sort: { created_at: -1, _id: -1 }, ignored_sort_by: 'colour' });
  });
});

describe('resolveLimit', () => {
  it('maps -1 to the maximum, defaults to 10 and clamps', () => {
    expect(resolveLimit(undefined)).toBe(10);
    expect(resolveLimit(-1)).toBe(MAX_QUERY_LIMIT);
    expect(resolveLimit(50_000)).toBe(MAX_QUERY_LIMIT);
    expect(resolveLimit(-5)).toBe(0);
    expect(resolveLimit(25)).toBe(25);
  });
});

describe('cursors', () => {
  const criteria = { space_name: 'acme', search: '@state:new' };
  const position = { created_at: new Date('2025-03-01T10:00:00.123Z'), id: 'acme/tickets/t9' };

  it('round-trip, bound to the criteria and the order', () => {
    const fingerprint = criteriaFingerprint(criteria);
    const cursor = encodeCursor(position, 'desc', fingerprint);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'desc', fingerprint)).toEqual(position);
    expect(() => decodeCursor(cursor, 'asc', fingerprint)).toThrow(/order=desc/);
    expect(() => decodeCursor(cursor, 'desc', criteriaFingerprint({ ...criteria, search: '@state:old' }))).toThrow(/other filters/);
  });

  it('refuses anything that is not a cursor of this API with 422', () => {
    const fingerprint = criteriaFingerprint(criteria);
    for (const bad of ['', 'not a cursor', Buffer.from('{"v":2}').toString('base64url'), Buffer.from('[1]').toString('base64url'), 'x'.repeat(2000)]) {
      expect(() => decodeCursor(bad, 'desc', fingerprint)).toThrow(ValidationError);
    }
    const injected = Buffer.from(JSON.stringify({ v: 1, t: { $gt: 0 }, i: 'x', o: 'desc', q: fingerprint })).toString('base64url');
    expect(() => decodeCursor(injected, 'desc', fingerprint)).toThrow(ValidationError);
  });

  it('continues strictly after the position on (created_at, _id)', () => {
    expect(afterCursor(position, 'desc')).toEqual({
      $or: [{ created_at: { $lt: position.created_at } }, { created_at: position.created_at, _id: { $lt: position.id } }],
    });
    expect(afterCursor(position, 'asc')).toEqual({
      $or: [{ created_at: { $gt: position.created_at } }, { created_at: position.created_at, _id: { $gt: position.id } }],
    });
  });
});
