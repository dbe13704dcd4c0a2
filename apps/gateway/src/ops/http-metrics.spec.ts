import { EventEmitter } from 'node:events';
import { register } from 'prom-client';
import { HTTP_METRICS, HttpMetricsMiddleware } from './http-metrics';

/** The gateway's HTTP answer metrics (the 5xx alert of deploy/prometheus/alerts.yaml reads them). */
describe('HTTP answer metrics', () => {
  const answer = (
    middleware: HttpMetricsMiddleware,
    method: string,
    route: string | undefined,
    status: number,
  ) => {
    const res = Object.assign(new EventEmitter(), { statusCode: status });
    const next = jest.fn();
    middleware.use(
      { method, route: route === undefined ? undefined : { path: route } } as never,
      res as never,
      next,
    );
    expect(next).toHaveBeenCalled();
    res.emit('finish');
  };

  it('counts answers by method, route pattern and status, and times them', async () => {
    const middleware = new HttpMetricsMiddleware();
    answer(middleware, 'GET', '/tickets', 200);
    answer(middleware, 'GET', '/tickets', 200);
    answer(middleware, 'POST', '/managed/request', 503);
    answer(middleware, 'GET', undefined, 404);
    const counts = (await register.getSingleMetric(HTTP_METRICS.requests)!.get()).values;
    expect(counts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { method: 'GET', route: '/tickets', status: '200' }, value: 2 }),
        expect.objectContaining({
          labels: { method: 'POST', route: '/managed/request', status: '503' },
          value: 1,
        }),
        expect.objectContaining({ labels: { method: 'GET', route: 'unmatched', status: '404' }, value: 1 }),
      ]),
    );
    const durations = (await register.getSingleMetric(HTTP_METRICS.duration)!.get()).values as {
      metricName?: string;
      labels: Record<string, unknown>;
      value: number;
    }[];
    expect(
      durations.find(
        (v) => v.metricName === `${HTTP_METRICS.duration}_count` && v.labels.route === '/tickets',
      )?.value,
    ).toBe(2);
  });
});
