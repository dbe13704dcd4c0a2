import {
  histogramMean,
  histogramQuantile,
  histogramQuantileAbove,
  histograms,
  histogramsDelta,
  scalar,
  scrape,
  type Histogram,
  type Sample,
} from './prom';
import { url, type Endpoints } from './services';
import { round, type LatencySummary } from './stats';

/**
 * "Where the time goes": one command's latency split into stages from the services' own histograms on
 * /metrics (delta between a scrape before and one after the runs), plus what the bench measures itself.
 * Metrics a service does not expose (yet) are reported as "not exposed"; nothing fails for want of them.
 *
 * Known histograms (by name):
 * - gateway `gateway_command_roundtrip_seconds`: publish -> result received;
 * - ticket-service `ticket_commands_duration_seconds`: consume -> result published;
 * - ticket-service `ticket_command_stage_seconds{stage="read|decide|append|publish"}` (planned);
 * - projection-service `projection_apply_lag_seconds` (planned).
 */
export interface MetricsSnapshot {
  readonly gateway: Sample[] | null;
  readonly ticketService: Sample[] | null;
  readonly projectionService: Sample[] | null;
}

export async function snapshot(e: Endpoints): Promise<MetricsSnapshot> {
  const [gateway, ticketService, projectionService] = await Promise.all([
    scrape(url(e, e.gateway, '/metrics')),
    scrape(url(e, e.ticketService, '/metrics')),
    scrape(url(e, e.projectionService, '/metrics')),
  ]);
  return { gateway, ticketService, projectionService };
}

export interface Stage {
  readonly stage: string;
  /** Mean in ms (exact from histogram sum/count, or derived as a difference of means). */
  readonly mean_ms: number | null;
  /** Bucket-interpolated estimates (ms), like PromQL's histogram_quantile; null when derived. */
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  /** The quantile lies beyond the histogram's highest finite bucket: the value is that bound, a lower bound. */
  readonly p50_above?: boolean;
  readonly p99_above?: boolean;
  readonly count: number | null;
  readonly source: string;
  readonly exposed: boolean;
}

export interface Breakdown {
  readonly stages: Stage[];
  /** Events the `tickets` projection applied per second during the runs (projection_events_applied_total). */
  readonly projection_events_per_s: number | null;
  /** Events waiting for the projection after the runs (projection_lag_events). */
  readonly projection_lag_events_after: number | null;
  readonly gateway_timeouts: number | null;
  readonly note: string;
}

/** Only the bench's own command types (other traffic on the same services is filtered out where labelled). */
const OURS = (labels: Readonly<Record<string, string>>) =>
  labels['type'] === undefined || labels['type'] === 'CreateTicket' || labels['type'] === 'ProgressTicket';

function delta(
  before: Sample[] | null,
  after: Sample[] | null,
  name: string,
  options: { filter?: (l: Readonly<Record<string, string>>) => boolean; groupBy?: string } = {},
): Map<string, Histogram> | null {
  if (!after) return null;
  const a = histograms(after, name, options);
  if (a.size === 0) return null;
  return histogramsDelta(a, before ? histograms(before, name, options) : new Map());
}

function stageOf(stage: string, h: Histogram | undefined, source: string): Stage {
  if (!h || h.count === 0) {
    return {
      stage,
      mean_ms: null,
      p50_ms: null,
      p99_ms: null,
      count: h ? 0 : null,
      source,
      exposed: h !== undefined,
    };
  }
  const ms = (v: number | null) => (v === null ? null : round(v * 1000, 2));
  return {
    stage,
    mean_ms: ms(histogramMean(h)),
    p50_ms: ms(histogramQuantile(h, 0.5)),
    p99_ms: ms(histogramQuantile(h, 0.99)),
    ...(histogramQuantileAbove(h, 0.5) ? { p50_above: true } : {}),
    ...(histogramQuantileAbove(h, 0.99) ? { p99_above: true } : {}),
    count: h.count,
    source,
    exposed: true,
  };
}

function notExposed(stage: string, source: string): Stage {
  return {
    stage,
    mean_ms: null,
    p50_ms: null,
    p99_ms: null,
    count: null,
    source: `${source}: not exposed`,
    exposed: false,
  };
}

function derived(stage: string, mean: number | null, source: string): Stage {
  return {
    stage,
    mean_ms: mean === null ? null : round(mean, 2),
    p50_ms: null,
    p99_ms: null,
    count: null,
    source,
    exposed: true,
  };
}

const minus = (a: number | null | undefined, b: number | null | undefined): number | null =>
  typeof a === 'number' && typeof b === 'number' ? Math.max(0, a - b) : null;

/**
 * The stages of one command (HTTP, Kafka both ways, ticket-service and its steps, projection) over the runs
 * between `before` and `after` (`seconds` long), given the bench's own request -> result and request -> read
 * model latencies. `viaHttp` says whether commands came through the gateway (else straight to Kafka).
 */
export function breakdown(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  measured: { result: LatencySummary | null; readModel: LatencySummary | null },
  seconds: number,
  viaHttp: boolean,
): Breakdown {
  const stages: Stage[] = [];
  const roundtrip = delta(before.gateway, after.gateway, 'gateway_command_roundtrip_seconds', {
    filter: OURS,
  })?.get('');
  const consumeToResult = delta(
    before.ticketService,
    after.ticketService,
    'ticket_commands_duration_seconds',
    { filter: OURS },
  )?.get('');
  const steps = delta(before.ticketService, after.ticketService, 'ticket_command_stage_seconds', {
    filter: OURS,
    groupBy: 'stage',
  });
  const applyLag = delta(before.projectionService, after.projectionService, 'projection_apply_lag_seconds', {
    filter: (l) => l['projection'] === undefined || l['projection'] === 'tickets',
  })?.get('');

  const roundtripStage = roundtrip
    ? stageOf('gateway: publish -> result', roundtrip, 'gateway_command_roundtrip_seconds')
    : notExposed('gateway: publish -> result', 'gateway_command_roundtrip_seconds');
  const serviceStage = consumeToResult
    ? stageOf(
        'ticket-service: consume -> result published',
        consumeToResult,
        'ticket_commands_duration_seconds',
      )
    : notExposed('ticket-service: consume -> result published', 'ticket_commands_duration_seconds');

  stages.push({
    stage: viaHttp ? 'request -> result (client, HTTP)' : 'request -> result (client, Kafka)',
    mean_ms: measured.result?.mean ?? null,
    p50_ms: measured.result?.p50 ?? null,
    p99_ms: measured.result?.p99 ?? null,
    count: measured.result?.n ?? null,
    source: 'bench',
    exposed: true,
  });
  if (viaHttp) {
    stages.push(
      derived(
        'HTTP: gateway in/out (auth, validation, translation, answer), loopback',
        minus(measured.result?.mean, roundtripStage.mean_ms),
        'client mean - gateway roundtrip mean',
      ),
    );
    stages.push(roundtripStage);
    stages.push(
      derived(
        'Kafka both ways: produce, wait in the topic for a consumer, consume (command, then result)',
        minus(roundtripStage.mean_ms, serviceStage.mean_ms),
        'gateway roundtrip mean - ticket-service mean (result publish ack counted in ticket-service)',
      ),
    );
  } else {
    stages.push(
      derived(
        'Kafka both ways: produce, wait in the topic for a consumer, consume (command, then result)',
        minus(measured.result?.mean, serviceStage.mean_ms),
        'client mean - ticket-service mean',
      ),
    );
  }
  stages.push(serviceStage);
  if (steps && steps.size > 0) {
    for (const step of ['read', 'decide', 'append', 'publish']) {
      stages.push(
        stageOf(
          `  ticket-service step: ${step}`,
          steps.get(step),
          `ticket_command_stage_seconds{stage="${step}"}`,
        ),
      );
    }
    for (const [step, h] of steps) {
      if (!['read', 'decide', 'append', 'publish'].includes(step))
        stages.push(
          stageOf(`  ticket-service step: ${step}`, h, `ticket_command_stage_seconds{stage="${step}"}`),
        );
    }
  } else {
    stages.push(
      notExposed('  ticket-service steps read / decide / append / publish', 'ticket_command_stage_seconds'),
    );
  }
  stages.push(
    applyLag
      ? stageOf('projection: apply lag', applyLag, 'projection_apply_lag_seconds')
      : notExposed('projection: apply lag', 'projection_apply_lag_seconds'),
  );
  stages.push({
    stage: 'request -> read model (client, sampled)',
    mean_ms: measured.readModel?.mean ?? null,
    p50_ms: measured.readModel?.p50 ?? null,
    p99_ms: measured.readModel?.p99 ?? null,
    count: measured.readModel?.n ?? null,
    source: 'bench (polls tickets by _id)',
    exposed: true,
  });
  stages.push(
    derived(
      'result -> read model (projection wait + apply)',
      minus(measured.readModel?.mean, measured.result?.mean),
      'read-model mean - result mean',
    ),
  );

  const appliedFilter = (l: Readonly<Record<string, string>>) => l['projection'] === 'tickets';
  const appliedAfter = after.projectionService
    ? scalar(after.projectionService, 'projection_events_applied_total', appliedFilter)
    : null;
  const appliedBefore = before.projectionService
    ? scalar(before.projectionService, 'projection_events_applied_total', appliedFilter)
    : null;
  const timeoutsAfter = after.gateway ? scalar(after.gateway, 'gateway_command_timeouts_total') : null;
  const timeoutsBefore = before.gateway ? scalar(before.gateway, 'gateway_command_timeouts_total') : null;
  return {
    stages,
    projection_events_per_s:
      appliedAfter !== null && seconds > 0 ? round((appliedAfter - (appliedBefore ?? 0)) / seconds, 1) : null,
    projection_lag_events_after: after.projectionService
      ? scalar(after.projectionService, 'projection_lag_events')
      : null,
    gateway_timeouts: timeoutsAfter === null ? null : timeoutsAfter - (timeoutsBefore ?? 0),
    note:
      "Histogram stages: delta of the services' /metrics over these runs (CreateTicket/ProgressTicket series; any other traffic on the same services of those types is included). " +
      'Means are exact (sum/count); p50/p99 are interpolated inside the buckets. Derived rows are differences of means.',
  };
}

/** `projection_lag_events` from projection-service (`null` when not exposed or unreachable). */
export async function projectionLag(e: Endpoints): Promise<number | null> {
  const samples = await scrape(url(e, e.projectionService, '/metrics'), 3000);
  return samples ? scalar(samples, 'projection_lag_events') : null;
}
