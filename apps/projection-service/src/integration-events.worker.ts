import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Kafka, type KafkaConfig, type Producer, type ProducerConfig } from 'kafkajs';
import type { AppConfig } from '@tickets/config';
import type { TopicNames } from '@tickets/contracts';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { kafkaOptions } from '@tickets/messaging';
import { APP_CONFIG, KAFKA_TOPICS } from '@tickets/platform';
import {
  BatchingPublisher,
  integrationEventsCheckpoint,
  ProjectionRunner,
  publishBeforeCheckpoint,
  ReadModels,
  TicketFactsTracker,
  TicketIntegrationEventsProjection,
  type BatchingPublisherStatus,
  type OutgoingMessage,
  type ProjectionLag,
} from '@tickets/read-models';
import { ProjectionMetrics, type IntegrationEventsLag } from './projection.metrics';

/** How long shutdown waits for Kafka to acknowledge the queued messages, in ms. */
const SHUTDOWN_FLUSH_MS = 5000;

/** The publisher's progress: its runner's lag plus what Kafka has not acknowledged yet. */
export interface IntegrationEventsStatus extends ProjectionLag {
  readonly publisher: BatchingPublisherStatus;
  /** Unacknowledged messages exist and none was acknowledged for `PROJECTION_STALL_AFTER_MS`. */
  readonly publisher_stalled: boolean;
}

/**
 * Publishes the public ticket events on `tickets.events.v1` (docs/integration-events.md) when config
 * `INTEGRATION_EVENTS_ENABLED` is true. A {@link ProjectionRunner} of its own (checkpoint
 * `<PROJECTION_NAME>.integration-events`) follows the whole event log, independent of the read model runner
 * and of rebuilds: the read models never wait for Kafka, and a rebuild neither re-publishes nor skips events.
 * Messages go out in batches (`BatchingPublisher`, one batch in flight, retried in order); the runner stores
 * its checkpoint only once everything before it is acknowledged (at least once; consumers de-duplicate by
 * `event_id`). The kafkajs producer uses the options of @tickets/messaging and connects on first use, so the
 * service starts while Kafka is down (the publisher then waits and `/health` shows it).
 */
@Injectable()
export class IntegrationEventsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** `null` when disabled. */
  readonly runner: ProjectionRunner | null = null;
  readonly publisher: BatchingPublisher | null = null;
  private readonly producer: Producer | null = null;
  private connected: Promise<void> | null = null;
  private lastAckAt = Date.now();
  private readonly logger = new Logger('IntegrationEvents');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(KAFKA_TOPICS) topics: TopicNames,
    readModels: ReadModels,
    metrics: ProjectionMetrics,
  ) {
    if (!config.INTEGRATION_EVENTS_ENABLED) return;
    const options = kafkaOptions(config, 'projection-service').options ?? {};
    this.producer = new Kafka(options.client as KafkaConfig).producer(options.producer as ProducerConfig);
    const producer = this.producer;
    const publisher = new BatchingPublisher(
      async (messages: readonly OutgoingMessage[]) => {
        await this.connect();
        await producer.send({ topic: topics.events, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })) });
      },
      {
        logger: this.logger,
        onSent: (count) => {
          this.lastAckAt = Date.now();
          metrics.countPublished(count);
        },
      },
    );
    this.publisher = publisher;
    this.runner = new ProjectionRunner({
      name: integrationEventsCheckpoint(config.PROJECTION_NAME),
      store,
      projections: [new TicketIntegrationEventsProjection(new TicketFactsTracker(store), publisher)],
      checkpoints: publishBeforeCheckpoint(readModels.checkpoints, publisher),
      parking: readModels.parked,
      stallAfterMs: config.PROJECTION_STALL_AFTER_MS,
      logger: this.logger,
      onApplied: (projection, outcome, event) => metrics.countApplied(projection, outcome, event),
    });
    metrics.bindIntegrationLag(async (): Promise<IntegrationEventsLag> => {
      const status = await this.status();
      return { events: status.behind + status.publisher.pending, ms: Math.max(status.lag_ms, status.publisher.oldest_pending_ms) };
    });
    const runner = this.runner;
    metrics.bindParked(() => runner.lag());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.runner || !this.publisher) return;
    // Kafka gets a few seconds to take what is queued; past that (broker down) the publisher stops, so shutdown
    // is not held up. Stopping the runner stores the checkpoint only after a successful flush; whatever is
    // still unacknowledged is re-published after a restart (at least once).
    const flushed = await Promise.race([
      this.publisher.flush().then(() => true, () => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), SHUTDOWN_FLUSH_MS).unref()),
    ]);
    if (!flushed) this.publisher.stop();
    await this.runner.stop();
    this.publisher.stop();
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** The runner's lag and the publisher's backlog. @throws Error when disabled; the store's error. */
  async status(): Promise<IntegrationEventsStatus> {
    if (!this.runner || !this.publisher) throw new Error('integration events are disabled (INTEGRATION_EVENTS_ENABLED=false)');
    const lag = await this.runner.lag();
    const publisher = this.publisher.status();
    const publisher_stalled = publisher.pending > 0 && Date.now() - this.lastAckAt >= this.config.PROJECTION_STALL_AFTER_MS;
    return { ...lag, publisher, publisher_stalled };
  }

  /** Connects the producer once; a failed attempt is forgotten so the next batch tries again. */
  private connect(): Promise<void> {
    this.connected ??= (this.producer as Producer).connect().catch((error: unknown) => {
      this.connected = null;
      throw error;
    });
    return this.connected;
  }
}
