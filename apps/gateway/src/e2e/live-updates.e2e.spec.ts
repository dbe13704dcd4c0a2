import { SUPPORT_WORKFLOW, GATEWAY_URL, call, dmartRequest, tokenFor, uniqueSpace } from '@tickets/testing';
import { openSseStream } from '../live/testing/sse-stream';

/**
 * Live dashboard updates end to end: an open `GET /live/{space}` stream (EventSource style, token as
 * `access_token`) receives a ticket change made through the HTTP API, and the counter deltas, within a second
 * of the API's answer: gateway -> Kafka -> ticket-service -> event store -> projection-service ->
 * `tickets.events.v1` -> gateway -> stream.
 */
describe('live updates of a space end to end', () => {
  const space = uniqueSpace('live');
  const admin = tokenFor('admin', ['super_admin']);
  const alice = tokenFor('alice', ['agent']);

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

  it('pushes a new ticket, its progress and the counter deltas to the open stream within a second', async () => {
    const stream = await openSseStream(`${GATEWAY_URL}/live/${space}?access_token=${alice}`);
    try {
      expect(stream.response.status).toBe(200);
      expect(await stream.next((e) => e.event === 'snapshot')).toMatchObject({ data: { space_name: space, counters: [] } });

      const created = await call<any>('POST', '/managed/request', {
        token: alice,
        body: dmartRequest(space, 'create', {
          resource_type: 'ticket',
          shortname: 'auto',
          subpath: 'tickets',
          attributes: { workflow_shortname: 'support', payload: { content_type: 'json', body: {} } },
        }),
      });
      const answeredAt = Date.now();
      expect(created).toMatchObject({ status: 200, body: { status: 'success' } });
      const shortname = created.body.records[0].shortname as string;

      const ticket = await stream.next((e) => e.event === 'ticket' && e.data.shortname === shortname, 5000);
      expect(ticket).toMatchObject({ data: { event_type: 'TicketCreated', space_name: space, subpath: 'tickets', previous: null } });
      expect(ticket!.at - answeredAt).toBeLessThan(1000);
      const counters = await stream.next((e) => e.event === 'counters' && e.data.event_id === ticket!.data.event_id, 1000);
      expect(counters?.data.deltas).toEqual(expect.arrayContaining([{ dimension: 'all', key: '*', open: 1, closed: 0 }]));

      const progressed = await call<any>('PUT', `/managed/progress-ticket/${space}/tickets/${shortname}/start`, { token: alice, body: {} });
      const progressedAt = Date.now();
      expect(progressed.status).toBe(200);
      const change = await stream.next((e) => e.event === 'ticket' && e.data.event_type === 'TicketProgressed', 5000);
      expect(change).toMatchObject({ data: { shortname, change: { action: 'start' } } });
      expect(change!.at - progressedAt).toBeLessThan(1000);
    } finally {
      await stream.close();
    }
  });
});
