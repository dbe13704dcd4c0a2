import { SUPPORT_WORKFLOW, call, dmartRequest, tokenFor, uniqueSpace } from '@tickets/testing';

/**
 * The query API through HTTP against the running system (docs/query-api.md): Dmart's `POST /managed/query`
 * (search, subpath, counters, history), the REST reads for dashboards and tools (cursor-paginated list,
 * history, as-of, dashboard summary), injection attempts and the JWT guard.
 */
describe('querying tickets through the HTTP API', () => {
  const space = uniqueSpace('query');
  const alice = tokenFor('alice', ['agent']);
  const sam = tokenFor('sam', ['supervisor']);
  const admin = tokenFor('dmart_admin', ['super_admin']);

  const request = (token: string, request_type: string, record: Parameters<typeof dmartRequest>[2]) =>
    call<any>('POST', '/managed/request', { token, body: dmartRequest(space, request_type, record) });
  const progress = async (token: string, shortname: string, action: string, body: Record<string, unknown> = {}) => {
    const answer = await call<any>('PUT', `/managed/progress-ticket/${space}/tickets/${shortname}/${action}`, { token, body });
    expect(answer).toMatchObject({ status: 200, body: { status: 'success' } });
  };
  const query = (body: Record<string, unknown>, token = alice) =>
    call<any>('POST', '/managed/query', { token, body: { space_name: space, subpath: '/tickets', ...body } });
  const names = (records: any[]) => records.map((r) => r.shortname).sort();

  beforeAll(async () => {
    const workflow = await request(admin, 'create', {
      resource_type: 'content',
      shortname: 'support',
      subpath: 'workflows',
      attributes: { payload: { content_type: 'json', body: SUPPORT_WORKFLOW } },
    });
    expect(workflow.status).toBe(200);
    const tickets: [string, Record<string, unknown>][] = [
      ['q1', { tags: ['printer'], payload: { content_type: 'json', body: { priority: 1 } }, reporter: { msisdn: '9647001' } }],
      ['q2', { tags: ['network'], payload: { content_type: 'json', body: { priority: 3 } } }],
      ['q3', { payload: { content_type: 'json', body: { priority: 2 } } }],
      ['q4', { tags: ['printer'], payload: { content_type: 'json', body: { priority: 5 } } }],
    ];
    for (const [shortname, attributes] of tickets) {
      const created = await request(alice, 'create', {
        resource_type: 'ticket',
        shortname,
        subpath: 'tickets',
        attributes: { workflow_shortname: 'support', ...attributes },
      });
      expect(created).toMatchObject({ status: 200, body: { status: 'success' } });
    }
    await progress(alice, 'q1', 'start');
    await progress(alice, 'q2', 'start');
    await progress(alice, 'q2', 'resolve', { resolution: 'fixed' });
    const assigned = await request(sam, 'assign', {
      resource_type: 'ticket',
      shortname: 'q2',
      subpath: 'tickets',
      attributes: { owner_shortname: 'bob', owner_group_shortname: 'l2' },
    });
    expect(assigned.status).toBe(200);
    await progress(sam, 'q3', 'reject', { resolution: 'duplicate' });
    // The projection applies the log in order: once the last write is readable, every earlier one is too.
    const last = await call<any>('GET', `/managed/entry/ticket/${space}/tickets/q3`, { token: alice });
    expect(last.body).toMatchObject({ state: 'rejected' });
  });

  describe('POST /managed/query, type search', () => {
    it('answers Dmart records with total and returned, without payload bodies by default', async () => {
      const answer = await query({ type: 'search', search: '@state:in_progress|resolved' });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'success', attributes: { total: 2, returned: 2 } });
      expect(names(answer.body.records)).toEqual(['q1', 'q2']);
      const q2 = answer.body.records.find((r: any) => r.shortname === 'q2');
      expect(q2).toMatchObject({
        resource_type: 'ticket',
        subpath: 'tickets',
        attributes: { state: 'resolved', is_open: true, resolution_reason: 'fixed', owner_shortname: 'bob', owner_group_shortname: 'l2' },
      });
      expect(q2.uuid).toEqual(expect.any(String));
      expect(q2.attributes.payload).toEqual({ content_type: 'json' });
    });

    it('sorts by a payload key, pages with offset and limit, and returns bodies on request', async () => {
      const answer = await query({
        type: 'search',
        sort_by: 'payload.body.priority',
        sort_type: 'ascending',
        retrieve_json_payload: true,
        limit: 2,
        offset: 1,
      });
      expect(answer.body.records.map((r: any) => [r.shortname, r.attributes.payload.body.priority])).toEqual([
        ['q3', 2],
        ['q2', 3],
      ]);
      expect(answer.body.attributes).toMatchObject({ total: 4, returned: 2 });
    });

    it('combines Dmart syntax: negation, ranges, comparisons, nested fields, groups, bare words', async () => {
      const cases: [string, string[]][] = [
        ['-@state:draft', ['q1', 'q2', 'q3']],
        ['@payload.body.priority:[2 3]', ['q2', 'q3']],
        ['@payload.body.priority:>=3', ['q2', 'q4']],
        ['@reporter.msisdn:9647*', ['q1']],
        ['@collaborators.start:alice', ['q1', 'q2']],
        ['(@tags:printer @state:draft) (@is_open:false)', ['q3', 'q4']],
        ['printer -@state:draft', ['q1']],
        [`@created_at:${new Date().toISOString().slice(0, 10)}|${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}`, ['q1', 'q2', 'q3', 'q4']],
      ];
      for (const [search, expected] of cases) {
        const answer = await query({ type: 'search', search, limit: -1 });
        expect({ search, found: names(answer.body.records) }).toEqual({ search, found: expected });
      }
    });

    it('ignores unknown fields, as Dmart does, and says so', async () => {
      const answer = await query({ type: 'search', search: '@colour:red @tags:printer', jq_filter: '.x' });
      expect(names(answer.body.records)).toEqual(['q1', 'q4']);
      expect(answer.body.attributes).toMatchObject({ ignored_fields: ['colour'], ignored_parameters: ['jq_filter'] });
    });

    it('treats injection attempts as values, and refuses a search that is not text', async () => {
      for (const search of ['@state:{"$gt":""}', '@payload.body.$where:1', '$where', '@shortname:.*']) {
        const answer = await query({ type: 'search', search });
        expect({ search, status: answer.status, total: answer.body.attributes.total }).toEqual({ search, status: 200, total: 0 });
      }
      const object = await query({ type: 'search', search: { $gt: '' } });
      expect(object.status).toBe(422);
      expect(object.body).toMatchObject({ status: 'failed', error: { code: 422 } });
      const wild = await query({ type: 'search', search: '@shortname:*a*b*c*d*e*' });
      expect(wild).toMatchObject({ status: 422, body: { error: { code: 422 } } });
    });

    it('scopes to the subpath (type subpath too) and refuses query types it does not serve', async () => {
      expect((await query({ type: 'subpath', subpath: '/tickets', exact_subpath: true })).body.attributes.total).toBe(4);
      expect((await query({ type: 'subpath', subpath: '/elsewhere' })).body.attributes.total).toBe(0);
      const events = await query({ type: 'events' });
      expect(events).toMatchObject({ status: 422, body: { status: 'failed', error: { code: 422 } } });
    });
  });

  describe('POST /managed/query, type counters', () => {
    it('answers the space counters by state, assignee, team and workflow', async () => {
      const answer = await query({ type: 'counters', subpath: '/' });
      expect(answer.body).toMatchObject({
        status: 'success',
        records: [],
        attributes: {
          total: 4,
          returned: 0,
          counters: {
            all: { open: 3, closed: 1 },
            state: { draft: { open: 1, closed: 0 }, in_progress: { open: 1, closed: 0 }, resolved: { open: 1, closed: 0 }, rejected: { open: 0, closed: 1 } },
            owner: { alice: { open: 2, closed: 1 }, bob: { open: 1, closed: 0 } },
            group: { l2: { open: 1, closed: 0 } },
            workflow: { support: { open: 3, closed: 1 } },
          },
        },
      });
    });

    it('counts the matching tickets as total when the query narrows them', async () => {
      expect((await query({ type: 'counters', search: '@tags:printer' })).body.attributes.total).toBe(2);
    });
  });

  describe('POST /managed/query, type history', () => {
    it('answers Dmart history records of the named ticket, from its events', async () => {
      const answer = await query({ type: 'history', filter_shortnames: ['q2'] });
      expect(answer.body.attributes).toMatchObject({ total: 4, returned: 4 });
      const records = answer.body.records;
      expect(records.map((r: any) => [r.resource_type, r.shortname, r.attributes.actor, r.attributes.event_type])).toEqual([
        ['history', 'q2', 'alice', 'TicketCreated'],
        ['history', 'q2', 'alice', 'TicketProgressed'],
        ['history', 'q2', 'alice', 'TicketProgressed'],
        ['history', 'q2', 'sam', 'TicketAssigned'],
      ]);
      expect(records[2].attributes.diff).toMatchObject({ state: { old: 'in_progress', new: 'resolved' }, resolution_reason: { old: null, new: 'fixed' } });
      expect(records[3].attributes).toMatchObject({ owner_shortname: 'sam', diff: { owner_shortname: { old: 'alice', new: 'bob' } } });
      expect(Date.parse(records[0].attributes.timestamp)).not.toBeNaN();
      const newest = await query({ type: 'history', filter_shortnames: ['q2'], sort_type: 'descending', limit: 1 });
      expect(newest.body.records.map((r: any) => r.attributes.event_type)).toEqual(['TicketAssigned']);
    });

    it('needs the tickets in filter_shortnames', async () => {
      expect(await query({ type: 'history' })).toMatchObject({ status: 422, body: { error: { code: 422 } } });
    });
  });

  describe('GET /tickets', () => {
    it('pages with an opaque cursor until next_cursor is null', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const answer: any = await call<any>('GET', `/tickets?space_name=${space}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: alice });
        expect(answer.status).toBe(200);
        seen.push(...answer.body.records.map((r: any) => r.shortname));
        cursor = answer.body.attributes.next_cursor;
        pages++;
      } while (cursor && pages < 5);
      expect(pages).toBe(2);
      expect(seen).toEqual(['q4', 'q3', 'q2', 'q1']);
    });

    it('takes the same filters and search, and refuses a foreign cursor', async () => {
      const answer = await call<any>('GET', `/tickets?space_name=${space}&filter_tags=printer,network&search=${encodeURIComponent('-@state:draft')}&order=asc`, { token: alice });
      expect(answer.body.records.map((r: any) => r.shortname)).toEqual(['q1', 'q2']);
      const first = await call<any>('GET', `/tickets?space_name=${space}&limit=1`, { token: alice });
      const foreign = await call<any>('GET', `/tickets?space_name=${space}&limit=1&search=x&cursor=${first.body.attributes.next_cursor}`, { token: alice });
      expect(foreign).toMatchObject({ status: 422, body: { error: { code: 422 } } });
    });

    it('is behind the JWT guard', async () => {
      expect(await call<any>('GET', `/tickets?space_name=${space}`)).toMatchObject({ status: 401, body: { error: { code: 49 } } });
      expect(await call<any>('GET', `/dashboards/${space}/summary`)).toMatchObject({ status: 401 });
    });
  });

  describe('GET /tickets/{space}/{subpath}/{shortname}/history and ?as_of=|position=', () => {
    it('serves the history and the ticket as of a position or an instant', async () => {
      const history = await call<any>('GET', `/tickets/${space}/tickets/q2/history`, { token: alice });
      expect(history.body.attributes).toMatchObject({ total: 4 });
      const [created, started] = history.body.records;

      const atStart = await call<any>('GET', `/tickets/${space}/tickets/q2?position=${started.attributes.position}`, { token: alice });
      expect(atStart.body.records[0]).toMatchObject({
        resource_type: 'ticket',
        shortname: 'q2',
        attributes: { state: 'in_progress', revision: 1, position: started.attributes.position },
      });
      const atCreation = await call<any>('GET', `/tickets/${space}/tickets/q2?as_of=${encodeURIComponent(created.attributes.timestamp)}`, { token: alice });
      expect(atCreation.body.records[0].attributes).toMatchObject({ state: 'draft', owner_shortname: 'alice', revision: 0 });
      const latest = await call<any>('GET', `/tickets/${space}/tickets/q2`, { token: alice });
      expect(latest.body.records[0].attributes).toMatchObject({ state: 'resolved', owner_shortname: 'bob', revision: 3 });

      const before = await call<any>('GET', `/tickets/${space}/tickets/q2?as_of=2000-01-01T00:00:00Z`, { token: alice });
      expect(before).toMatchObject({ status: 404, body: { error: { code: 220 } } });
      const unknown = await call<any>('GET', `/tickets/${space}/tickets/nope/history`, { token: alice });
      expect(unknown).toMatchObject({ status: 404, body: { error: { code: 220 } } });
      const both = await call<any>('GET', `/tickets/${space}/tickets/q2?as_of=2025-01-01&position=1`, { token: alice });
      expect(both).toMatchObject({ status: 422 });
    });
  });

  describe('GET /dashboards/{space}/summary', () => {
    it('sums up counters, open-ticket ages and today\'s activity', async () => {
      const answer = await call<any>('GET', `/dashboards/${space}/summary?days=3`, { token: alice });
      expect(answer.status).toBe(200);
      const summary = answer.body.attributes;
      expect(summary).toMatchObject({
        space_name: space,
        counters: { all: { open: 3, closed: 1 } },
        open_age: { '<1d': 3, '1-7d': 0, '7-30d': 0, '>30d': 0 },
      });
      expect(summary.per_day).toHaveLength(3);
      const total = summary.per_day.reduce((sum: { created: number; closed: number }, d: any) => ({ created: sum.created + d.created, closed: sum.closed + d.closed }), { created: 0, closed: 0 });
      expect(total).toEqual({ created: 4, closed: 1 });
      expect(await call<any>('GET', `/dashboards/${space}/summary?days=365`, { token: alice })).toMatchObject({ status: 422 });
    });
  });
});
