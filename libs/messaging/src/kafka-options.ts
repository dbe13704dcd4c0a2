import { Transport, type KafkaOptions } from '@nestjs/microservices';
import { logLevel, Partitioners } from 'kafkajs';
import type { AppConfig } from '@tickets/config';

/**
 * Options for Nest's Kafka transport (server or client), from the one config.
 * `postfixId: ''` keeps client and group ids exactly as given (Nest appends `-server`/`-client` otherwise).
 * @param clientId kafkajs client id, e.g. `ticket-service`
 * @param groupId consumer group; omit for producer-only clients
 */
export function kafkaOptions(
  config: AppConfig,
  clientId: string,
  groupId?: string,
  extra: { fromBeginning?: boolean; partitionsConsumedConcurrently?: number; maxWaitTimeInMs?: number } = {},
): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      postfixId: '',
      client: {
        clientId: `${config.KAFKA_CLIENT_ID}-${clientId}`,
        brokers: [...config.kafkaBrokers],
        logLevel: logLevel.WARN,
        retry: { initialRetryTime: 200, retries: 8 },
      },
      // One request in flight keeps one ticket's commands in order across retries; a duplicate from a retry is
      // harmless (same command_id). The Java-compatible murmur2 partitioner maps a key to the same partition as
      // other publishers' clients do (docs/kafka-contract.md).
      producer: {
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      },
      producerOnlyMode: groupId === undefined,
      ...(groupId === undefined
        ? {}
        : {
            consumer: {
              groupId,
              allowAutoTopicCreation: false,
              sessionTimeout: 30000,
              heartbeatInterval: 3000,
              maxWaitTimeInMs: extra.maxWaitTimeInMs ?? 1000,
            },
            subscribe: { fromBeginning: extra.fromBeginning ?? true },
            run: { partitionsConsumedConcurrently: extra.partitionsConsumedConcurrently ?? 1 },
          }),
    },
  };
}
