import { TicketsReadModel } from '@tickets/read-models';
import { createdData, eventually, serviceUnderTest, type ServiceUnderTest } from './testing/service-under-test';

/**
 * Projection lag on `/health` and `/metrics` (docs/read-models.md "Operations"), against the real servers: a
 * projection that stops applying while events keep arriving is reported stalled, and the service unhealthy; an
 * event that cannot be applied is parked and reported (degraded) while everything else stays current.
 */
jest.setTimeout(60_000);

describe('projection lag reporting', () => {
  let sut: ServiceUnderTest;
  beforeAll(async () => {
    sut = await serviceUnderTest({ PROJECTION_STALL_AFTER_MS: 1500, INTEGRATION_EVENTS_ENABLED: false });
    await sut.start();
  });
  afterAll(() => sut?.close());

  const health = async () => {
    const response = await fetch(`${sut.baseUrl}/health`);
    const body = (await response.json()) as { details?: Record<string, any>; error?: Record<string, any> };
    return { status: response.status, projection: (body.details ?? body.error ?? {}).projection as Record<string, any> };
  };
  const gauge = async (name: string) => {
    const metrics = await (await fetch(`${sut.baseUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
  };

  it('reports no lag while the projection keeps up', async () => {
    const key = { space_name: 'acme', subpath: 'tickets', shortname: 'ok' };
    const { position } = await sut.append('ticket-acme/tickets/ok', { type: 'TicketCreated', data: createdData(key) });
    expect(await new TicketsReadModel(sut.connection).waitForPosition(key, position, 10_000)).toBe(true);
    expect(await health()).toMatchObject({ status: 200, projection: { status: 'up', behind: 0, lag_ms: 0, stalled: false } });
    expect(await gauge('projection_lag_events')).toBe(0);
    expect(await gauge('projection_lag_ms')).toBe(0);
  });

  describe('when the projection stops applying while events keep arriving', () => {
    it('reports the lag in events and ms, then the stall, and /health answers 503', async () => {
      // A transient fault that lasts: another transaction holds the ticket's document (uncommitted write), so
      // every attempt of the projection's transaction fails with a WriteConflict (TransientTransactionError)
      // and is retried in place; nothing after it is applied and the checkpoint stands still.
      const held = { space_name: 'acme', subpath: 'tickets', shortname: 'held' };
      const created = await sut.append('ticket-acme/tickets/held', { type: 'TicketCreated', data: createdData(held) });
      expect(await new TicketsReadModel(sut.connection).waitForPosition(held, created.position, 10_000)).toBe(true);
      const holder = sut.connection.getClient().startSession();
      holder.startTransaction();
      await sut.connection.collection('tickets').updateOne({ _id: 'acme/tickets/held' as never }, { $set: { held: true } }, { session: holder });
      try {
        await sut.append('ticket-acme/tickets/held', {
          type: 'TicketAssigned',
          data: { owner_shortname: 'bob', previous_owner_shortname: 'alice', by: 'tester', at: new Date().toISOString() },
        });
        const started = Date.now();
        let appended = 0;
        const writer = (async () => {
          while (Date.now() - started < 2500) {
            const key = { space_name: 'acme', subpath: 'tickets', shortname: `late${appended}` };
            await sut.append(`ticket-acme/tickets/late${appended}`, { type: 'TicketCreated', data: createdData(key) });
            appended += 1;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })();

        const stalled = await eventually(async () => {
          const current = await health();
          return current.status === 503 && current.projection.stalled ? current : null;
        }, 20_000);
        await writer;
        expect(stalled).toMatchObject({ status: 503, projection: { status: 'down', running: true, stalled: true, parked: 0 } });
        expect(stalled!.projection.behind).toBeGreaterThanOrEqual(2);
        expect(stalled!.projection.lag_ms).toBeGreaterThan(0); // age of the oldest waiting event (the stuck one)
        expect(stalled!.projection.waiting_ms).toBeGreaterThanOrEqual(1500);
        expect(stalled!.projection.last_error).toMatch(/write ?conflict/i);

        const after = await health();
        expect(after.projection.behind).toBe(appended + 1);
        expect(await gauge('projection_lag_events')).toBe(appended + 1);
        expect(await gauge('projection_lag_ms')).toBeGreaterThanOrEqual(2000); // the writer ran 2.5 s after the stuck event
      } finally {
        await holder.abortTransaction();
        await holder.endSession();
      }
      // The fault gone, the retried batch applies and the projection catches up.
      const recovered = await eventually(async () => {
        const current = await health();
        return current.status === 200 && current.projection.behind === 0 ? current : null;
      }, 20_000);
      expect(recovered).toMatchObject({ projection: { status: 'up', stalled: false, last_error: null } });
    });
  });

  describe('when an event cannot be applied (a payload the BSON encoder cannot hold)', () => {
    it('parks it, keeps projecting the other tickets, and shows it on /health (degraded) and /metrics', async () => {
      let body: unknown = [];
      for (let i = 0; i < 1000; i++) body = [body];
      const deep = { space_name: 'acme', subpath: 'tickets', shortname: 'deep' };
      await sut.append('ticket-acme/tickets/deep', { type: 'TicketCreated', data: { ...createdData(deep), payload: { content_type: 'json', body } } });
      const next = { space_name: 'acme', subpath: 'tickets', shortname: 'after-deep' };
      const { position } = await sut.append('ticket-acme/tickets/after-deep', { type: 'TicketCreated', data: createdData(next) });
      expect(await new TicketsReadModel(sut.connection).waitForPosition(next, position, 10_000)).toBe(true);

      const current = await health();
      expect(current).toMatchObject({
        status: 200,
        projection: { status: 'up', stalled: false, behind: 0, degraded: true, parked: 1, parked_by_projection: { tickets: 1 } },
      });
      const metrics = await (await fetch(`${sut.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^projection_parked_events\{projection="tickets"\} 1$/m);
      expect(metrics).toMatch(/^projection_events_applied_total\{projection="tickets",outcome="parked"\} 1$/m);
      const record = await sut.connection.collection('parked_events').findOne({ stream_id: 'ticket-acme/tickets/deep' });
      expect(record).toMatchObject({ projection: 'tickets', revision: 0, error: expect.stringMatching(/Maximum call stack size exceeded/) });
    });
  });
});
