import { randomUUID } from 'node:crypto';
import { SUPPORT_WORKFLOW, call, dmartRequest, tokenFor, uniqueSpace } from '@tickets/testing';

/**
 * What an HTTP client meets at the edges of the API: safe resends with `Idempotency-Key`, bodies the server
 * cannot read, positions beyond what the read model can compare, Arabic shortnames with diacritics, and the
 * OpenAPI document (docs/dmart-compatibility.md).
 */
describe('the gateway at the edges of its HTTP API', () => {
  const space = uniqueSpace('edge');
  const admin = tokenFor('admin', ['super_admin']);
  const alice = tokenFor('alice', ['agent']);
  const createAuto = (token: string, headers: Record<string, string> = {}) =>
    call<any>('POST', '/managed/request', {
      token,
      headers,
      body: dmartRequest(space, 'create', {
        resource_type: 'ticket',
        shortname: 'auto',
        subpath: 'tickets',
        attributes: { workflow_shortname: 'support', payload: { content_type: 'json', body: {} } },
      }),
    });

  beforeAll(async () => {
    const workflow = await call('POST', '/managed/request', {
      token: admin,
      body: dmartRequest(space, 'create', {
        resource_type: 'content',
        shortname: 'support',
        subpath: 'workflows',
        attributes: { payload: { content_type: 'json', body: SUPPORT_WORKFLOW } },
      }),
    });
    expect(workflow).toMatchObject({ status: 200, body: { status: 'success' } });
  });

  describe('when a client resends a request with the same Idempotency-Key', () => {
    it('creates the auto ticket once and answers the same record again', async () => {
      const key = randomUUID();
      const first = await createAuto(alice, { 'Idempotency-Key': key });
      const again = await createAuto(alice, { 'Idempotency-Key': key });
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      const [record] = first.body.records;
      expect(again.body.records[0]).toMatchObject({ uuid: record.uuid, shortname: record.shortname, subpath: 'tickets' });
      const other = await createAuto(alice, { 'Idempotency-Key': randomUUID() });
      expect(other.body.records[0].shortname).not.toBe(record.shortname);
      const bobs = await createAuto(tokenFor('bob', ['agent']), { 'Idempotency-Key': key });
      expect(bobs.body.records[0].shortname).not.toBe(record.shortname);
    });

    it('progresses a ticket once', async () => {
      const ticket = (await createAuto(alice)).body.records[0].shortname;
      const key = randomUUID();
      const progress = () =>
        call<any>('PUT', `/managed/progress-ticket/${space}/tickets/${ticket}/start`, {
          token: alice,
          body: { comment: 'on it' },
          headers: { 'Idempotency-Key': key },
        });
      expect((await progress()).status).toBe(200);
      const again = await progress();
      expect(again.status).toBe(200);
      expect(again.body.records[0].attributes.state).toBe('in_progress');
      const read = await call<any>('GET', `/managed/entry/ticket/${space}/tickets/${ticket}?retrieve_attachments=true`, { token: alice });
      expect(read.body.attachments.comment).toHaveLength(1);
    });

    it('refuses a key over 128 characters with 422', async () => {
      const refused = await createAuto(alice, { 'Idempotency-Key': 'k'.repeat(129) });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ status: 'failed', error: { code: 422, message: expect.stringContaining('Idempotency-Key') } });
    });
  });

  it('answers a body over the JSON limit with 413 in Dmart envelope (code 413)', async () => {
    const huge = { ...dmartRequest(space, 'create', { resource_type: 'ticket', shortname: 'auto', subpath: 'tickets' }), pad: 'x'.repeat(1_100_000) };
    const refused = await call<any>('POST', '/managed/request', { token: alice, body: huge });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ status: 'failed', error: { type: 'request', code: 413, message: expect.stringMatching(/^request body too large \(\d+ bytes; the limit is \d+ bytes\)$/) } });
  });

  it('answers a body that is not JSON with 400 in Dmart envelope (code 422)', async () => {
    const refused = await call<any>('POST', '/managed/request', { token: alice, body: '{"space_name": ' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 'failed', error: { code: 422, message: expect.stringContaining('JSON') } });
  });

  it('refuses a min_position beyond 15 digits with 422, not 500', async () => {
    const refused = await call<any>('GET', `/managed/entry/ticket/${space}/tickets/t1?min_position=9007199254740993`, { token: alice });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 422, message: expect.stringContaining('min_position') });
  });

  it('accepts Arabic shortnames with diacritics, in the token and in the ticket key', async () => {
    const muhammad = tokenFor('مُحَمَّد', ['agent']);
    const created = await call<any>('POST', '/managed/request', {
      token: muhammad,
      body: dmartRequest(space, 'create', {
        resource_type: 'ticket',
        shortname: 'تَذْكِرَة_١',
        subpath: 'tickets',
        attributes: { workflow_shortname: 'support' },
      }),
    });
    expect(created.status).toBe(200);
    const read = await call<any>('GET', `/managed/entry/ticket/${space}/tickets/${encodeURIComponent('تَذْكِرَة_١')}`, { token: muhammad });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ shortname: 'تَذْكِرَة_١', owner_shortname: 'مُحَمَّد' });
  });

  it('documents the Idempotency-Key header and links existing documentation in the OpenAPI document', async () => {
    const { status, body } = await call<any>('GET', '/docs-json');
    expect(status).toBe(200);
    expect(body.info.description).toContain('docs/dmart-compatibility.md');
    expect(body.info.description).toContain('docs/query-api.md');
    expect(body.info.description).not.toContain('http-api.md');
    const headers = (operation: any) => (operation.parameters ?? []).filter((p: any) => p.in === 'header').map((p: any) => p.name);
    expect(headers(body.paths['/managed/request'].post)).toContain('Idempotency-Key');
    const progress = Object.entries(body.paths).find(([path]) => path.startsWith('/managed/progress-ticket/'));
    expect(headers((progress?.[1] as any).put)).toContain('Idempotency-Key');
  });
});
