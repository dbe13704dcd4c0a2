import { TicketsReadModel } from '@tickets/read-models';
import { createdData, eventually, serviceUnderTest, type ServiceUnderTest } from './testing/service-under-test';

/**
 * Projection lag on `/health` and `/metrics` (docs/read-models.md "Operations"), against the real servers: a
 * projection that stops applying while events keep arriving is reported stalled, and the service unhealthy.
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
      // An event the projection cannot apply (a ticket stream id without a key): it is retried in place forever,
      // so nothing after it is applied; the checkpoint stands still.
      await sut.append('ticket-broken', { type: 'TicketCreated', data: {} });
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
      expect(stalled).toMatchObject({ status: 503, projection: { status: 'down', running: true, stalled: true } });
      expect(stalled!.projection.behind).toBeGreaterThanOrEqual(2);
      expect(stalled!.projection.lag_ms).toBeGreaterThan(0); // age of the oldest waiting event (the stuck one)
      expect(stalled!.projection.last_error).toMatch(/not a ticket stream id/);

      const after = await health();
      expect(after.projection.behind).toBe(appended + 1);
      expect(await gauge('projection_lag_events')).toBe(appended + 1);
      expect(await gauge('projection_lag_ms')).toBeGreaterThanOrEqual(2000); // the writer ran 2.5 s after the stuck event
    });
  });
});
