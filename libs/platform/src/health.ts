import { Inject, Injectable } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import {
  HealthIndicatorService,
  MicroserviceHealthIndicator,
  MongooseHealthIndicator,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { AppConfig } from '@tickets/config';
import type { EventStore } from '@tickets/event-store';
import { APP_CONFIG } from './config.module';

/** Time each dependency check may take before it counts as down, in ms. */
const CHECK_TIMEOUT_MS = 3000;

/**
 * The dependency checks of `GET /health` (ARCHITECTURE.md "HTTP API": 200 only when Kafka, the event store and
 * MongoDB are reachable), on @nestjs/terminus. Each service's health controller picks the ones it depends on.
 * Requires `TerminusModule` (and, for `mongo`, a mongoose connection) in the importing module.
 */
@Injectable()
export class DependencyChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly microservice: MicroserviceHealthIndicator,
    private readonly mongoose: MongooseHealthIndicator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A broker answers a client connection (terminus' microservice ping). */
  kafka(): Promise<HealthIndicatorResult> {
    return this.microservice.pingCheck('kafka', {
      transport: Transport.KAFKA,
      timeout: CHECK_TIMEOUT_MS,
      options: {
        client: { clientId: `${this.config.KAFKA_CLIENT_ID}-health`, brokers: [...this.config.kafkaBrokers], retry: { retries: 0 } },
        producerOnlyMode: true,
      },
    });
  }

  /** The event store answers `ping()`. */
  async eventStore(store: EventStore): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('event_store');
    try {
      await withTimeout(store.ping(), CHECK_TIMEOUT_MS);
      return session.up({ kind: this.config.EVENT_STORE });
    } catch (error) {
      return session.down({ kind: this.config.EVENT_STORE, message: (error as Error).message });
    }
  }

  /** MongoDB answers a ping on the service's mongoose connection. */
  mongo(): Promise<HealthIndicatorResult> {
    return this.mongoose.pingCheck('mongodb', { timeout: CHECK_TIMEOUT_MS });
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
