import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { Connection } from 'mongoose';
import { Gauge, register } from 'prom-client';
import type { AppConfig } from '@tickets/config';
import type { TopicNames } from '@tickets/contracts';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { kafkaOptions } from '@tickets/messaging';
import { APP_CONFIG, KAFKA_TOPICS } from '@tickets/platform';
import { AliasedGeneration, MongoCheckpointStore, ReadModelAliases } from '@tickets/read-models';

/** Metric names of the gateway's system status (docs/operations, deploy/prometheus/alerts.yaml). */
export const STATUS_METRICS = {
  deadLetters: 'gateway_commands_dead_lettered',
} as const;

/** Projection lag in ms above which the dashboard warns (the read models visibly trail the writes). */
export const LAG_WARNING_MS = 2000;
/** How long a status is reused, in ms: many open dashboards cost one computation a second. */
const STATUS_TTL_MS = 900;
/** Time a service's `/health` or a store read may take before it counts as down, in ms. */
const CHECK_TIMEOUT_MS = 3000;

/** One service's `/health` as the gateway sees it. */
export interface ServiceHealth {
  readonly name: 'gateway' | 'ticket-service' | 'projection-service';
  /** `up`: 200; `down`: answered non-200 (a dependency is down); `unreachable`: no answer; `unknown`: no URL. */
  readonly status: 'up' | 'down' | 'unreachable' | 'unknown';
  /** The terminus `details` (dependency -> {status, ...}), when the service answered. */
  readonly details: Readonly<Record<string, unknown>> | null;
  readonly error: string | null;
}

/**
 * The system status of the ops dashboard (`GET /ops/status`, docs/query-api.md), computed by the gateway from
 * the stores themselves, so it stays right while projection-service is down:
 * - `projection`: the live generation's checkpoint (`projection_checkpoints`) against the event store head:
 *   `behind` (events after the checkpoint, counted up to 1000), `lag_ms` (age of the oldest of them),
 *   `stalled` (events wait and the checkpoint has not moved for `PROJECTION_STALL_AFTER_MS`), `warning`
 *   (`lag_ms` above {@link LAG_WARNING_MS}, stalled, or the lag unreadable);
 * - `dead_letters`: messages on the dead-letter topic `tickets.commands.dlq.v1` (high minus low watermark);
 * - `services`: each service's `/health`.
 */
export interface SystemStatus {
  readonly generated_at: string;
  readonly projection: {
    readonly checkpoint: string;
    readonly position: string | null;
    readonly head_position: string | null;
    readonly behind: number;
    readonly lag_ms: number;
    readonly checkpoint_updated_at: string | null;
    readonly stalled: boolean;
    readonly warning: boolean;
    readonly error: string | null;
  };
  readonly dead_letters: { readonly count: number | null; readonly error: string | null };
  readonly services: readonly ServiceHealth[];
}

const LAG_COUNT_LIMIT = 1000;

/** Computes {@link SystemStatus} (cached {@link STATUS_TTL_MS}) and exports the dead-letter gauge. */
@Injectable()
export class SystemStatusService implements OnModuleDestroy {
  private readonly checkpoints: MongoCheckpointStore;
  private readonly generation: AliasedGeneration;
  private readonly kafka: Kafka;
  private admin: Promise<Admin> | null = null;
  private cached: { at: number; status: Promise<SystemStatus> } | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA_TOPICS) private readonly topics: TopicNames,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(getConnectionToken()) connection: Connection,
  ) {
    this.checkpoints = new MongoCheckpointStore(connection);
    this.generation = new AliasedGeneration(
      new ReadModelAliases(connection, { projectionName: config.PROJECTION_NAME }),
      {
        ttlMs: config.READ_MODEL_ALIAS_TTL_MS,
      },
    );
    const client = kafkaOptions(config, 'gateway-ops').options?.client;
    this.kafka = new Kafka({
      ...client,
      brokers: [...config.kafkaBrokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    // One registry per process: a second app in the same (test) process replaces the metric.
    register.removeSingleMetric(STATUS_METRICS.deadLetters);
    const deadLetters = () => this.deadLetters();
    new Gauge({
      name: STATUS_METRICS.deadLetters,
      help: 'Commands on the dead-letter topic tickets.commands.dlq.v1 (retained messages: high minus low watermark).',
      async collect() {
        const { count } = await deadLetters();
        if (count !== null) this.set(count);
      },
    });
  }

  /** The current status (see {@link SystemStatus}); never throws: what cannot be read is reported as an error. */
  status(): Promise<SystemStatus> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < STATUS_TTL_MS) return this.cached.status;
    const status = this.compute();
    this.cached = { at: now, status };
    return status;
  }

  async onModuleDestroy(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  private async compute(): Promise<SystemStatus> {
    const [projection, dead_letters, services] = await Promise.all([
      this.projection(),
      this.deadLetters(),
      this.services(),
    ]);
    return {
      generated_at: new Date().toISOString(),
      projection,
      dead_letters,
      services,
    };
  }

  private async projection(): Promise<SystemStatus['projection']> {
    let checkpoint = this.config.PROJECTION_NAME;
    try {
      checkpoint = (await withTimeout(this.generation.current(), CHECK_TIMEOUT_MS)).checkpoint;
      const [doc, head] = await withTimeout(
        Promise.all([
          this.checkpoints.model.collection.findOne({ _id: checkpoint as never }),
          this.store.headPosition(),
        ]),
        CHECK_TIMEOUT_MS,
      );
      const position = typeof doc?.position === 'number' ? BigInt(doc.position) : null;
      const waiting =
        head !== null && (position === null || head > position)
          ? await withTimeout(
              this.store.readAll({ after: position, max_count: LAG_COUNT_LIMIT }),
              CHECK_TIMEOUT_MS,
            )
          : [];
      const now = Date.now();
      const oldest = waiting[0] ? Date.parse(waiting[0].recorded_at) : NaN;
      const lag_ms = waiting.length > 0 && !Number.isNaN(oldest) ? Math.max(0, now - oldest) : 0;
      const updatedAt = doc?.updated_at instanceof Date ? doc.updated_at : null;
      // The checkpoint is saved in batches (every 200 ms while events flow): it can only be "stalled" when
      // events wait and it has not moved for the projection's own stall period.
      const stalled =
        waiting.length > 0 &&
        (updatedAt === null || now - updatedAt.getTime() >= this.config.PROJECTION_STALL_AFTER_MS) &&
        lag_ms >= this.config.PROJECTION_STALL_AFTER_MS;
      return {
        checkpoint,
        position: position?.toString() ?? null,
        head_position: head?.toString() ?? null,
        behind: waiting.length,
        lag_ms,
        checkpoint_updated_at: updatedAt?.toISOString() ?? null,
        stalled,
        warning: stalled || lag_ms > LAG_WARNING_MS,
        error: null,
      };
    } catch (error) {
      return {
        checkpoint,
        position: null,
        head_position: null,
        behind: 0,
        lag_ms: 0,
        checkpoint_updated_at: null,
        stalled: false,
        warning: true,
        error: (error as Error).message,
      };
    }
  }

  private async deadLetters(): Promise<SystemStatus['dead_letters']> {
    try {
      this.admin ??= (async () => {
        const admin = this.kafka.admin();
        await admin.connect();
        return admin;
      })();
      const admin = await withTimeout(this.admin, CHECK_TIMEOUT_MS);
      const offsets = await withTimeout(admin.fetchTopicOffsets(this.topics.commandsDlq), CHECK_TIMEOUT_MS);
      return { count: offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0), error: null };
    } catch (error) {
      const admin = this.admin;
      this.admin = null;
      if (admin) void admin.then((a) => a.disconnect()).catch(() => undefined);
      return { count: null, error: (error as Error).message };
    }
  }

  private services(): Promise<ServiceHealth[]> {
    // A wildcard bind address names no peer: then only the configured URLs are asked (the gateway itself on
    // the loopback); on one machine (`npm start`) the services share BIND_HOST.
    const wildcard = this.config.BIND_HOST === '0.0.0.0' || this.config.BIND_HOST === '::';
    const local = (port: number) => (wildcard ? null : `http://${this.config.BIND_HOST}:${port}`);
    return Promise.all([
      this.health(
        'gateway',
        `http://${wildcard ? '127.0.0.1' : this.config.BIND_HOST}:${this.config.GATEWAY_PORT}`,
      ),
      this.health('ticket-service', this.config.TICKET_SERVICE_URL ?? local(this.config.TICKET_SERVICE_PORT)),
      this.health(
        'projection-service',
        this.config.PROJECTION_SERVICE_URL ?? local(this.config.PROJECTION_SERVICE_PORT),
      ),
    ]);
  }

  private async health(name: ServiceHealth['name'], base: string | null): Promise<ServiceHealth> {
    if (base === null) {
      const variable = name === 'ticket-service' ? 'TICKET_SERVICE_URL' : 'PROJECTION_SERVICE_URL';
      return { name, status: 'unknown', details: null, error: `no URL configured (${variable})` };
    }
    try {
      const response = await fetch(new URL('/health', base), {
        signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
      const body = (await response.json().catch(() => null)) as { details?: Record<string, unknown> } | null;
      return {
        name,
        status: response.ok ? 'up' : 'down',
        details: body?.details ?? null,
        error: response.ok ? null : `HTTP ${response.status}`,
      };
    } catch (error) {
      return { name, status: 'unreachable', details: null, error: (error as Error).message };
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
