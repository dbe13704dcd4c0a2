import type { mongo } from 'mongoose';
import { USER_JSON_MAX_DEPTH } from '@tickets/contracts';
import type { ResourceKey } from '@tickets/domain';
import { agent, TicketCommandLog } from '../history/testing/ticket-command-log';
import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import { TicketsReadModel } from '../tickets/tickets.read-model';
import { TicketSearch, TOTAL_COUNT_LIMIT } from './ticket-search';
import type { TicketCriteria } from './ticket-query';

/**
 * Dmart's search syntax against a seeded data set in a real MongoDB server (mongod on the test
 * machines): a table of queries and the tickets each must return, injection attempts included, then the
 * Dmart query criteria, sorting and paging, and cursor pagination. The tickets are made by commands through
 * the domain's decider and the real projection.
 */
jest.setTimeout(120_000);

const alice = agent('alice');
const bob = agent('bob');
const key = (shortname: string, subpath = 'support', space_name = 'acme'): ResourceKey => ({ space_name, subpath, shortname });

/** Every live ticket of `acme`. */
const ALL = ['t1', 't2', 't3', 't4', 't5', 't8', 't9'];

function seed(): TicketCommandLog {
  const log = new TicketCommandLog();
  const create = (k: ResourceKey, at: string, attributes: Record<string, unknown> = {}) =>
    log.run(k, 'CreateTicket', { uuid: `uuid-${k.shortname}`, workflow_shortname: 'support', ...attributes }, alice, at);
  const act = (k: ResourceKey, action: string, who = bob, at = '2025-05-01T00:00:00.000Z', extra: Record<string, unknown> = {}) =>
    log.run(k, 'ProgressTicket', { action, ...extra }, who, at);

  create(key('t1'), '2025-01-05T10:00:00.000Z', {
    tags: ['printer', 'vip'],
    displayname: { en: 'Printer broken', ar: 'الطابعة معطلة' },
    payload: { content_type: 'json', body: { priority: 1, category: 'hardware', due: '2025-04-28', urgent: true, $where: 'x' } },
    reporter: { name: 'Ali', msisdn: '9647001', channel: 'web' },
  });
  act(key('t1'), 'start', bob, '2025-01-06T10:00:00.000Z');

  create(key('t2', 'support/l2'), '2025-02-10T10:00:00.000Z', {
    tags: ['network'],
    payload: { content_type: 'json', body: { priority: 3, category: 'network' } },
    reporter: { msisdn: '9647002' },
  });
  act(key('t2', 'support/l2'), 'start', alice, '2025-02-11T10:00:00.000Z');
  act(key('t2', 'support/l2'), 'resolve', alice, '2025-02-12T10:00:00.000Z', { resolution: 'fixed' });
  log.run(key('t2', 'support/l2'), 'AssignTicket', { owner_shortname: 'carol', owner_group_shortname: 'l2' }, alice, '2025-02-13T10:00:00.000Z');

  create(key('t3'), '2025-03-01T10:00:00.000Z', { payload: { content_type: 'json', body: { priority: '5', category: 'software' } } });
  act(key('t3'), 'reject', bob, '2025-03-02T10:00:00.000Z', { resolution: 'duplicate' });

  create(key('t4', 'sales'), '2025-03-15T10:00:00.000Z', {
    tags: ['vip'],
    payload: { content_type: 'json', body: { priority: 2, items: [{ sku: 'A1' }, { sku: 'B2' }], notes: [['Toner cartridge empty on floor two']] } },
  });

  create(key('t5'), '2025-04-28T10:00:00.000Z', {
    displayname: { en: 'Email (urgent) *help*' },
    payload: { content_type: 'json', body: { note: '(a+)+$' } },
  });
  act(key('t5'), 'start', alice, '2025-04-28T11:00:00.000Z');
  act(key('t5'), 'resolve', alice, '2025-04-28T12:00:00.000Z');
  act(key('t5'), 'close', alice, '2025-04-28T13:00:00.000Z');

  create(key('t6'), '2025-01-01T10:00:00.000Z', { tags: ['vip'] });
  log.run(key('t6'), 'DeleteTicket', {}, alice, '2025-01-02T10:00:00.000Z');

  create(key('t7', 'support', 'globex'), '2025-01-05T10:00:00.000Z', { tags: ['printer', 'vip'] });

  // `language` is the text index's default language override: a user's key of that name must stay data.
  create(key('t8', 'supportive'), '2025-04-01T10:00:00.000Z', { payload: { content_type: 'json', body: { language: 'klingon', greeting: 'Qaplaʼ' } } });

  // User JSON at the deepest the edges accept (32 levels of arrays in arrays), stored encoded.
  let deep: unknown = ['bottom word'];
  for (let level = 1; level < USER_JSON_MAX_DEPTH; level++) deep = [deep];
  create(key('d1', 'support', 'deep'), '2025-01-01T10:00:00.000Z', { payload: { content_type: 'json', body: { deep } } });

  create(key('t9', 'support'), '2025-04-29T10:00:00.000Z', { collaborators: { approve: 'dave', '$escalate.now': 'erin' } });
  return log;
}

describe('ticket search (real MongoDB-compatible server)', () => {
  let db: TestDatabase;
  let tickets: TicketsReadModel;
  let search: TicketSearch;
  const log = seed();

  beforeAll(async () => {
    db = await openTestDatabase();
    tickets = new TicketsReadModel(db.connection);
    await tickets.ensureIndexes();
    const projection = tickets.projection();
    for (const event of log.events) expect(await projection.apply(event)).toBe('applied');
    search = new TicketSearch(tickets);
  });
  afterAll(async () => db?.drop());

  const shortnames = async (criteria: Omit<TicketCriteria, 'space_name'>, page = {}) => {
    const result = await search.search({ space_name: 'acme', ...criteria }, { limit: -1, ...page });
    return result.documents.map((d) => d.shortname).sort();
  };

  describe('Dmart search syntax', () => {
    const table: [string, string[]][] = [
      ['@state:new', ['t4', 't8', 't9']],
      ['@state:new|in_progress', ['t1', 't4', 't8', 't9']],
      ['-@state:new', ['t1', 't2', 't3', 't5']],
      ['@state:!new', ['t1', 't2', 't3', 't5']],
      ['@is_open:false', ['t3', 't5']],
      ['@is_open:TRUE', ['t1', 't2', 't4', 't8', 't9']],
      ['@tags:vip', ['t1', 't4']],
      ['@tags:vip -@subpath:sales', ['t1']],
      ['@shortname:t*', ALL],
      ['@shortname:T1', []],
      ['@shortname:T1*', ['t1']],
      ['@resolution_reason:fixed|duplicate', ['t2', 't3']],
      ['@owner_shortname:carol', ['t2']],
      ['@owner_group_shortname:l2', ['t2']],
      ['@owner_group_shortname:*', ['t2']],
      ['@payload.body.priority:1', ['t1']],
      ['@payload.body.priority:5', ['t3']],
      ['@payload.body.priority:>=2', ['t2', 't4']],
      ['@payload.body.priority:<2|>2', ['t1', 't2']],
      ['@payload.body.priority:[1 2]', ['t1', 't4']],
      ['@payload.body.priority:[2,1]', ['t1', 't4']],
      ['@payload.body.category:hard*', ['t1']],
      ['@payload.body.category:*WARE', ['t1', 't3']],
      ['@payload.body.items.sku:B2', ['t4']],
      ['@payload.body.urgent:true', ['t1']],
      ['@payload.body.due:2025-04-28', ['t1']],
      ['@payload.body.due:[2025-04-01 2025-04-28]', ['t1']],
      ['@payload.body.$where:x', ['t1']],
      ['@reporter.msisdn:9647001', ['t1']],
      ['@reporter.msisdn:96470*', ['t1', 't2']],
      ['@reporter:Ali', ['t1']],
      ['@collaborators.start:bob', ['t1']],
      ['@collaborators.approve:dave', ['t9']],
      ['@collaborators.$escalate.now:erin', ['t9']],
      ['@displayname:Printer*', ['t1']],
      ['@displayname.en:"Email (urgent) *help*"', ['t5']],
      ['@created_at:2025-03', ['t3', 't4']],
      ['@created_at:[2025-03-01 2025-04-01]', ['t3', 't4', 't8']],
      ['@created_at:>2025-04-28', ['t9']],
      ['@created_at:<2025-02', ['t1']],
      ['@created_at:2025-04-28T10', ['t5']],
      ['@created_at:2025-04-28T13:00+03:00', ['t5']],
      ['@updated_at:2025-04-28', ['t5']],
      ['printer', ['t1']],
      ['PRINT*', ['t1']],
      ['الطابعة', ['t1']],
      ['الطابعه', []],
      ['"(urgent)"', ['t5']],
      ['-printer @tags:vip', ['t4']],
      // bare words: one $text search on the text index, payload body included (in arrays in arrays too)
      ['printer broken', ['t1']],
      ['Printer BROKEN', ['t1']],
      ['printer network', []],
      ['printer | network', ['t1', 't2']],
      ['hardware', ['t1']],
      ['software', ['t3']],
      ['toner', ['t4']],
      ['TONER cartridge', ['t4']],
      ['"cartridge empty"', ['t4']],
      ['"empty cartridge"', []],
      ['toner -floor', []],
      ['toner -network', ['t4']],
      ['toner @state:new', ['t4']],
      ['toner @state:closed', []],
      ['toner @payload.body.priority:>1', ['t4']],
      ['cartridge -"floor two"', []],
      ['qaplaʼ', ['t8']],
      ['klingon', ['t8']],
      ['print', []],
      ['support', ALL],
      ['(@state:new @tags:vip) (@state:rejected)', ['t3', 't4']],
      ['@state:new | @is_open:false', ['t3', 't4', 't5', 't8', 't9']],
      ['(@subpath:support (@state:in_progress | @state:rejected))', ['t1', 't3']],
      ['-(@state:new | @state:in_progress)', ['t2', 't3', 't5']],
      ['@state:new and @tags:vip', ['t4']],
      ['@workflow_shortname:support @is_open:true @payload.body.priority:<3', ['t1', 't4']],
      ['@colour:red @state:new', ['t4', 't8', 't9']],
      ['@is_open:maybe', []],
      ['@created_at:yesterday', []],
      ['', ALL],
    ];

    it.each(table)('%s', async (query, expected) => {
      expect(await shortnames({ search: query })).toEqual(expected);
    });

    it('reports unknown fields and malformed terms', async () => {
      const result = await search.search({ space_name: 'acme', search: '@colour:red @state:new @size' });
      expect(result).toMatchObject({ total: 3, ignored_fields: ['colour'], ignored_terms: ['@size'] });
    });
  });

  describe('injection attempts', () => {
    const table: [string, string[]][] = [
      ['@state:$where', []],
      ['@state:{"$gt":""}', []],
      ['{"$gt": ""}', []],
      ['$where', []],
      ['x', ['t1']],
      ['"x\\" -\\"x"', []],
      ['\\"printer', ['t1']],
      ['printer -"', ['t1']],
      ['@shortname:.*', []],
      ['@shortname:"(a+)+$"', []],
      ['@shortname:*a*a*a*', []],
      ['@payload.body.note:"(a+)+$"', ['t5']],
      ['@payload.body.note:\\(a+\\)*', ['t5']],
      ['@payload.body.__proto__:1', []],
      ['@payload.body.$gt:1', []],
      ['@state.$ne:1 @state:new', ['t4', 't8', 't9']],
      ['@$where:1', ALL],
      ['@constructor:x', ALL],
      ['@__proto__.polluted:1', ALL],
      [`${'a'.repeat(250)}!`, []],
    ];

    it.each(table)('%s is only ever a value or an ignored field', async (query, expected) => {
      expect(await shortnames({ search: query })).toEqual(expected);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it('refuses patterns beyond the limits instead of running them', async () => {
      await expect(search.search({ space_name: 'acme', search: '@shortname:*a*a*a*a*a*' })).rejects.toThrow(/wildcards/);
      await expect(search.search({ space_name: 'acme', search: 'x'.repeat(1025) })).rejects.toThrow(/longer than 1024/);
    });
  });

  describe('Dmart query criteria', () => {
    it('takes a subpath and everything below it, not siblings that share a prefix', async () => {
      expect(await shortnames({ subpath: '/support' })).toEqual(['t1', 't2', 't3', 't5', 't9']);
      expect(await shortnames({ subpath: 'support', exact_subpath: true })).toEqual(['t1', 't3', 't5', 't9']);
      expect(await shortnames({ subpath: '/' })).toEqual(ALL);
    });

    it('filters shortnames, tags (any of) and the created_at window (inclusive)', async () => {
      expect(await shortnames({ filter_shortnames: ['t1', 't3', 't6', 't7'] })).toEqual(['t1', 't3']);
      expect(await shortnames({ filter_tags: ['vip', 'network'] })).toEqual(['t1', 't2', 't4']);
      expect(await shortnames({ from_date: new Date('2025-03-01T10:00:00Z'), to_date: new Date('2025-04-01T10:00:00Z') })).toEqual(['t3', 't4', 't8']);
      expect(await shortnames({ filter_types: ['content'] })).toEqual([]);
    });

    it('sorts by an attribute or a payload key, pages with offset and limit, and counts the total', async () => {
      const page = await search.search(
        { space_name: 'acme', search: '@payload.body.priority:*' },
        { sort_by: 'payload.body.priority', sort_type: 'ascending', limit: 2, offset: 1 },
      );
      // Numbers sort before strings in MongoDB's order: 1, 2, 3, then "5".
      expect(page.documents.map((d) => d.shortname)).toEqual(['t4', 't2']);
      expect(page.total).toBe(4);
      const byDate = await search.search({ space_name: 'acme' }, { sort_by: 'created_at', sort_type: 'descending', limit: 3 });
      expect(byDate.documents.map((d) => d.shortname)).toEqual(['t9', 't5', 't8']);
      const newestFirst = await search.search({ space_name: 'acme' }, { limit: 2 });
      expect(newestFirst.documents.map((d) => d.shortname)).toEqual(['t9', 't5']);
      expect(newestFirst.total).toBe(7);
    });

    it('answers -1 as total when retrieve_total is false, and no documents for limit 0', async () => {
      expect((await search.search({ space_name: 'acme' }, { retrieve_total: false })).total).toBe(-1);
      const none = await search.search({ space_name: 'acme' }, { limit: 0 });
      expect(none).toMatchObject({ documents: [], total: 7 });
    });

    it('reports an unknown sort_by and keeps the default order', async () => {
      const result = await search.search({ space_name: 'acme' }, { sort_by: 'colour', limit: 1 });
      expect(result).toMatchObject({ ignored_fields: ['colour'] });
      expect(result.documents[0].shortname).toBe('t9');
    });

    it('returns decoded user data', async () => {
      const [t1] = (await search.search({ space_name: 'acme', search: '@shortname:t1' })).documents;
      expect(t1.payload?.body).toMatchObject({ $where: 'x' });
      const [t9] = (await search.search({ space_name: 'acme', search: '@shortname:t9' })).documents;
      expect(t9.collaborators).toEqual({ approve: 'dave', '$escalate.now': 'erin' });
    });
  });

  describe('at size: bounded totals and indexed pages (space `bulk`, stored documents)', () => {
    const BULK = TOTAL_COUNT_LIMIT + 50;
    const base = Date.parse('2025-01-01T00:00:00.000Z');
    const explain = async (filter: Record<string, unknown>, sort: Record<string, 1 | -1>, limit: number) => {
      const { tickets: model } = await tickets.live();
      const plan = (await model.find({ ...filter, deleted: { $ne: true } }).sort(sort).limit(limit).explain('executionStats')) as unknown as {
        executionStats: { nReturned: number; totalDocsExamined: number };
      };
      return plan.executionStats;
    };

    beforeAll(async () => {
      // The projection's document shape, minimally: what the criteria and the read model's filters look at.
      const { tickets: model } = await tickets.live();
      const docs = Array.from({ length: BULK }, (_, k) => ({
        _id: `bulk/tickets/b${k}`,
        uuid: `uuid-b${k}`,
        shortname: `b${k}`,
        space_name: 'bulk',
        subpath: 'tickets',
        tags: [`team${k % 7}`],
        state: k % 2 === 0 ? 'in_progress' : 'new',
        is_open: true,
        payload: { content_type: 'json', body: { priority: 1 + (k % 5) } },
        collaborators: {},
        created_at: new Date(base + k * 60_000),
        updated_at: new Date(base + k * 60_000),
        closed_at: null,
        deleted: k === 0,
      }));
      await model.collection.insertMany(docs as unknown as mongo.Document[]);
    });

    it('counts a total up to TOTAL_COUNT_LIMIT and says when it is a lower bound', async () => {
      const all = await search.search({ space_name: 'bulk' });
      expect(all).toMatchObject({ total: TOTAL_COUNT_LIMIT, total_is_lower_bound: true });
      expect(all.documents.map((d) => d.shortname)).toEqual(Array.from({ length: 10 }, (_, i) => `b${BULK - 1 - i}`));
      // The live tickets carrying team3 (k = 3, 10, 17, ...; b0, deleted, is team0): exact, under the bound.
      const team3 = Array.from({ length: BULK }, (_, k) => k).filter((k) => k % 7 === 3).length;
      expect(team3).toBeLessThan(TOTAL_COUNT_LIMIT);
      expect(await search.search({ space_name: 'bulk', filter_tags: ['team3'] }, { limit: 1 })).toMatchObject({
        total: team3,
        total_is_lower_bound: false,
      });
      expect(await search.search({ space_name: 'bulk' }, { retrieve_total: false })).toMatchObject({ total: -1, total_is_lower_bound: false });
    });

    it('counts up to the end of the page asked for when it lies beyond the bound', async () => {
      const late = await search.search({ space_name: 'bulk' }, { offset: TOTAL_COUNT_LIMIT, limit: 100 });
      expect(late).toMatchObject({ total: BULK - 1, total_is_lower_bound: false });
      expect(late.documents).toHaveLength(BULK - 1 - TOTAL_COUNT_LIMIT);
      const beyond = await search.search({ space_name: 'bulk' }, { offset: TOTAL_COUNT_LIMIT - 10, limit: 20 });
      expect(beyond).toMatchObject({ total: TOTAL_COUNT_LIMIT + 10, total_is_lower_bound: true });
    });

    it('reads a page in index order: about limit / selectivity documents, no in-memory sort', async () => {
      const filter = { $and: [{ space_name: 'bulk' }, { tags: { $in: ['team3'] } }, { state: 'in_progress' }, { 'payload.body.priority': { $gte: 3 } }] };
      const page = await explain(filter, { created_at: -1, _id: -1 }, 10);
      // One in 7 has the tag, 3 in 10 of those the state and priority: ~35 documents for 10, not all the tagged.
      expect(page.nReturned).toBe(10);
      expect(page.totalDocsExamined).toBeLessThan(50);
      const newest = await explain({ space_name: 'bulk' }, { created_at: -1, _id: -1 }, 10);
      expect(newest.totalDocsExamined).toBeLessThanOrEqual(10);
    });

    it('lists a space with a cursor, reading only the page', async () => {
      const first = await search.list({ space_name: 'bulk' }, { limit: 5, order: 'asc' });
      expect(first.documents.map((d) => d.shortname)).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
      const after = { $or: [{ created_at: { $gt: new Date(base + 5 * 60_000) } }, { created_at: new Date(base + 5 * 60_000), _id: { $gt: 'bulk/tickets/b5' } }] };
      const stats = await explain({ $and: [{ space_name: 'bulk' }, after] }, { created_at: 1, _id: 1 }, 6);
      // Each branch of the cursor's `$or` reads at most a page: a dozen documents, not the space's 1049.
      expect(stats.totalDocsExamined).toBeLessThanOrEqual(2 * 6);
    });
  });

  describe('full-text search (the tickets\' text index)', () => {
    it('stores user JSON at the deepest the edges accept, and finds its words', async () => {
      const [d1] = (await search.search({ space_name: 'deep', search: 'bottom' })).documents;
      expect(d1?.shortname).toBe('d1');
      let level = (d1.payload?.body as { deep: unknown }).deep;
      let depth = 0;
      for (; Array.isArray(level); depth++) level = level[0];
      expect([depth, level]).toEqual([USER_JSON_MAX_DEPTH, 'bottom word']);
    });

    it('combines with the query criteria, counts, and pages with a cursor', async () => {
      expect(await shortnames({ search: 'printer | network', subpath: 'support/l2' })).toEqual(['t2']);
      expect(await shortnames({ search: 'support', filter_tags: ['vip'] })).toEqual(['t1', 't4']);
      expect((await search.search({ space_name: 'acme', search: 'toner' })).total).toBe(1);
      const first = await search.list({ space_name: 'acme', search: 'support' }, { limit: 4 });
      const second = await search.list({ space_name: 'acme', search: 'support' }, { limit: 4, cursor: first.next_cursor! });
      expect([...first.documents, ...second.documents].map((d) => d.shortname)).toEqual(['t9', 't5', 't8', 't4', 't3', 't2', 't1']);
    });
  });

  describe('cursor pagination on (created_at, _id)', () => {
    it('walks every ticket once, newest first, and ends with a null cursor', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const result = await search.list({ space_name: 'acme' }, { limit: 3, cursor });
        seen.push(...result.documents.map((d) => d.shortname));
        if (!result.next_cursor) break;
        cursor = result.next_cursor;
      }
      expect(seen).toEqual(['t9', 't5', 't8', 't4', 't3', 't2', 't1']);
    });

    it('walks oldest first with order=asc, with filters', async () => {
      const first = await search.list({ space_name: 'acme', search: '@is_open:true' }, { limit: 2, order: 'asc' });
      expect(first.documents.map((d) => d.shortname)).toEqual(['t1', 't2']);
      const second = await search.list({ space_name: 'acme', search: '@is_open:true' }, { limit: 2, order: 'asc', cursor: first.next_cursor! });
      expect(second.documents.map((d) => d.shortname)).toEqual(['t4', 't8']);
    });

    it('neither skips nor repeats tickets when new ones arrive between pages', async () => {
      const first = await search.list({ space_name: 'acme' }, { limit: 4 });
      const late = new TicketCommandLog();
      late.run(key('t10'), 'CreateTicket', { uuid: 'uuid-t10', workflow_shortname: 'support' }, alice, '2025-06-01T00:00:00.000Z');
      // After every seeded event in the global log, as a store would number it.
      expect(await tickets.projection().apply({ ...late.events[0], position: 1000n })).toBe('applied');
      const second = await search.list({ space_name: 'acme' }, { limit: 4, cursor: first.next_cursor! });
      expect([...first.documents, ...second.documents].map((d) => d.shortname)).toEqual(['t9', 't5', 't8', 't4', 't3', 't2', 't1']);
      expect(second.next_cursor).toBeNull();
    });

    it('refuses a cursor of other criteria', async () => {
      const first = await search.list({ space_name: 'acme' }, { limit: 1 });
      await expect(search.list({ space_name: 'acme', search: '@state:new' }, { limit: 1, cursor: first.next_cursor! })).rejects.toThrow(/other filters/);
    });
  });
});
