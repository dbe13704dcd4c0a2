import {
  Injectable,
  Module,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, register } from 'prom-client';

/** Metric names of the gateway's HTTP answers (deploy/prometheus/alerts.yaml: 5xx rate). */
export const HTTP_METRICS = {
  requests: 'gateway_http_requests_total',
  duration: 'gateway_http_request_duration_seconds',
} as const;

/**
 * Counts every HTTP answer of the gateway by method, route pattern (`/managed/entry/ticket/:space/*path`,
 * bounded cardinality; `unmatched` for 404s outside any route) and status code, and observes its duration.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private static requests: Counter<'method' | 'route' | 'status'>;
  private static duration: Histogram<'method' | 'route'>;

  constructor() {
    // One registry per process: a second app in the same (test) process replaces the metrics.
    for (const name of Object.values(HTTP_METRICS)) register.removeSingleMetric(name);
    HttpMetricsMiddleware.requests = new Counter({
      name: HTTP_METRICS.requests,
      help: 'HTTP answers of the gateway by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
    });
    HttpMetricsMiddleware.duration = new Histogram({
      name: HTTP_METRICS.duration,
      help: 'Time to answer an HTTP request of the gateway, in seconds (SSE streams: until they close).',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      HttpMetricsMiddleware.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      HttpMetricsMiddleware.duration.observe(
        { method: req.method, route },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  }
}

/** Applies {@link HttpMetricsMiddleware} to every route of the application it is imported into. */
@Module({ providers: [HttpMetricsMiddleware] })
export class HttpMetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
