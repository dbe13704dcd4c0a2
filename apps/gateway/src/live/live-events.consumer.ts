import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { ServerKafka } from '@nestjs/microservices';
import type { Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppConfig } from '@tickets/config';
import type { TopicNames } from '@tickets/contracts';
import { kafkaServer, onTopic } from '@tickets/messaging';
import { APP_CONFIG, KAFKA_TOPICS } from '@tickets/platform';
import { LiveUpdates } from './live-updates';

/** How long bootstrap waits for the consumer's first fetch (its position at the end of the topic), in ms. */
const POSITIONED_TIMEOUT_MS = 30_000;

/**
 * Feeds {@link LiveUpdates} from `tickets.events.v1`, in a consumer group of its own per replica (every
 * replica must see every event, as for command results), starting at the latest offset: a live stream shows
 * what happens from now on, its `snapshot` covers the past. Bootstrap waits (bounded) until the consumer is
 * positioned, so the replica only serves streams once it receives events. Offsets are committed after each
 * message (Nest's Kafka server); a replica that restarts joins a new group at the latest offset.
 */
@Injectable()
export class LiveEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveEventsConsumer.name);
  private readonly server: ServerKafka;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KAFKA_TOPICS) topics: TopicNames,
    live: LiveUpdates,
  ) {
    const group = `gateway-live-${hostname()}-${randomUUID()}`;
    this.server = kafkaServer(config, 'gateway-live', group, { fromBeginning: false, maxWaitTimeInMs: 500 });
    onTopic(this.server, topics.events, (value) => live.accept(value));
  }

  async onApplicationBootstrap(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      void this.server.listen((error?: unknown) => (error ? reject(error as Error) : resolve()));
    });
    const [, consumer] = this.server.unwrap<[unknown, Consumer]>();
    const positioned = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        remove();
        resolve(false);
      }, POSITIONED_TIMEOUT_MS);
      const remove = consumer.on(consumer.events.FETCH, () => {
        clearTimeout(timer);
        remove();
        resolve(true);
      });
    });
    if (!positioned) this.logger.warn(`no fetch on the ticket events topic within ${POSITIONED_TIMEOUT_MS} ms; live streams start when it comes`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
