import type { Provider } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import type { AppConfig } from '@tickets/config';
import { APP_CONFIG } from '@tickets/platform';
import { kafkaOptions, publisherBatching } from './kafka-options';
import { KafkaPublisher } from './kafka-publisher';

/**
 * Provides a `KafkaPublisher` on a producer-only `ClientKafka` named `<KAFKA_CLIENT_ID>-<clientId>`, batching
 * as config `KAFKA_PRODUCER_*` says.
 */
export function kafkaPublisherProvider(clientId: string): Provider {
  return {
    provide: KafkaPublisher,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) =>
      new KafkaPublisher(
        new ClientKafka(kafkaOptions(config, clientId).options ?? {}),
        publisherBatching(config),
      ),
  };
}
