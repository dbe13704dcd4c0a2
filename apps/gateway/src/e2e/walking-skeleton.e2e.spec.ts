import { SUPPORT_WORKFLOW, TICKET_PAYLOAD_SCHEMA, call, dmartRequest, tokenFor, uniqueSpace } from '@tickets/testing';

/**
 * The first ticket end to end: gateway -> Kafka -> ticket-service -> event store -> projection-service ->
 * MongoDB -> gateway, with the request exactly as Dmart clients send it.
 */
describe('creating the first ticket end to end', () => {
  const space = uniqueSpace();
  const admin = tokenFor('dmart_admin', ['super_admin']);
  const ticketRequest = (body: Record<string, unknown>, workflow = 'workflow_101') => ({
    space_name: space,
    request_type: 'create',
    records: [
      {
        resource_type: 'ticket',
        shortname: 'auto',
        branch_name: 'master',
        subpath: 'tickets',
        attributes: {
          is_active: true,
          tags: ['me'],
          payload: { content_type: 'json', schema_shortname: 'schema', body },
          is_open: true,
          reporter: {
            type: 'admin_lite',
            name: 'Foo Bar',
            channel: 'HQTest',
            distributor: 'Doo',
            governorate: '',
            msisdn: '1111111111',
            channel_address: {},
          },
          workflow_shortname: workflow,
        },
      },
    ],
  });

  beforeAll(async () => {
    const workflow = await call('POST', '/managed/request', {
      token: admin,
      body: dmartRequest(space, 'create', {
        resource_type: 'content',
        shortname: 'workflow_101',
        subpath: 'workflows',
        attributes: { is_active: true, payload: { content_type: 'json', body: SUPPORT_WORKFLOW } },
      }),
    });
    expect(workflow).toMatchObject({ status: 200, body: { status: 'success' } });
    const schema = await call('POST', '/managed/request', {
      token: admin,
      body: dmartRequest(space, 'create', {
        resource_type: 'schema',
        shortname: 'schema',
        subpath: 'schema',
        attributes: { is_active: true, payload: { content_type: 'json', body: TICKET_PAYLOAD_SCHEMA } },
      }),
    });
    expect(schema).toMatchObject({ status: 200, body: { status: 'success' } });
  });

  describe('when a Dmart client creates a ticket with shortname auto', () => {
    let created: { status: number; body: any };
    beforeAll(async () => {
      created = await call('POST', '/managed/request', { token: admin, body: ticketRequest({ summary: 'printer on fire' }) });
    });

    it('answers success with an 8-hex shortname, its uuid, the initial state and is_open', () => {
      expect(created.status).toBe(200);
      expect(created.body.status).toBe('success');
      const [record] = created.body.records;
      expect(record.resource_type).toBe('ticket');
      expect(record.shortname).toMatch(/^[0-9a-f]{8}$/);
      expect(record.uuid.replace(/-/g, '').startsWith(record.shortname)).toBe(true);
      expect(record.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(record.attributes).toMatchObject({ state: 'draft', is_open: true, workflow_shortname: 'workflow_101' });
    });

    it('serves it at once from GET /managed/entry (read your writes)', async () => {
      const { shortname } = created.body.records[0];
      const entry = await call('GET', `/managed/entry/ticket/${space}/tickets/${shortname}`, { token: admin });
      expect(entry.status).toBe(200);
      expect(entry.body).toMatchObject({
        shortname,
        subpath: 'tickets',
        state: 'draft',
        is_open: true,
        owner_shortname: 'dmart_admin',
        tags: ['me'],
        reporter: { msisdn: '1111111111', name: 'Foo Bar' },
        payload: { content_type: 'json', schema_shortname: 'schema', body: { summary: 'printer on fire' } },
      });
    });
  });

  it('starts a supervisor in the state their role selects (initial_state walked in order)', async () => {
    const supervisor = tokenFor('sam', ['supervisor']);
    const created = await call<any>('POST', '/managed/request', { token: supervisor, body: ticketRequest({}) });
    expect(created.status).toBe(200);
    expect(created.body.records[0].attributes.state).toBe('triage');
  });

  it('refuses a payload that violates the schema, naming the failing path', async () => {
    const refused = await call<any>('POST', '/managed/request', { token: admin, body: ticketRequest({ priority: 'high' }) });
    expect(refused.status).toBe(422);
    expect(refused.body.status).toBe('failed');
    expect(refused.body.error.code).toBe(422);
    expect(refused.body.error.message).toContain('/priority');
  });

  it('refuses an unknown workflow with code 220', async () => {
    const refused = await call<any>('POST', '/managed/request', { token: admin, body: ticketRequest({}, 'no_such_workflow') });
    expect(refused.status).toBe(404);
    expect(refused.body.error).toMatchObject({ code: 220 });
    expect(refused.body.error.message).toMatch(/workflow not found/);
  });

  it('refuses a request without a token with code 49', async () => {
    const refused = await call<any>('POST', '/managed/request', { body: ticketRequest({}) });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ status: 'failed', error: { type: 'auth', code: 49 } });
  });

  it('refuses a malformed request body in Dmart envelope, code 422', async () => {
    const refused = await call<any>('POST', '/managed/request', {
      token: admin,
      body: { space_name: space, request_type: 'explode', records: [] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe(422);
    expect(refused.body.error.message).toMatch(/request_type/);
  });

  it('answers 404 in Dmart envelope for a ticket that does not exist', async () => {
    const missing = await call<any>('GET', `/managed/entry/ticket/${space}/tickets/nope1234`, { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'failed', error: { code: 220 } });
  });

  it('reports health 200 with Kafka, the event store and MongoDB up', async () => {
    const health = await call<any>('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.info).toMatchObject({ kafka: { status: 'up' }, event_store: { status: 'up' }, mongodb: { status: 'up' } });
  });
});
