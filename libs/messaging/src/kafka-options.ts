import { KafkaContext, ServerKafka, Transport, type KafkaOptions } from '@nestjs/microservices';
import { logLevel, Partitioners, type KafkaConfig } from 'kafkajs';
import type { AppConfig } from '@tickets/config';
import { KafkaBatchServer } from './kafka-batch-server';
import type { PublisherBatching } from './kafka-publisher';

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
      client: kafkaClientConfig(config, clientId),
      // One request in flight per broker keeps one ticket's commands in order across retries; a duplicate from a
      // retry is harmless (same command_id). Throughput comes from batching instead: `KafkaPublisher` sends
      // one `sendBatch` at a time holding every message published meanwhile (`publisherBatching`).
      // The Java-compatible murmur2 partitioner maps a key to the same partition as other publishers' clients
      // do (docs/kafka-contract.md).
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

/** kafkajs client settings shared by every producer and consumer: `<KAFKA_CLIENT_ID>-<clientId>`, brokers, retries. */
function kafkaClientConfig(config: AppConfig, clientId: string): KafkaConfig {
  return {
    clientId: `${config.KAFKA_CLIENT_ID}-${clientId}`,
    brokers: [...config.kafkaBrokers],
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
  };
}

/**
 * The batch consumer of ticket-service's commands (`KafkaBatchServer`), group `groupId`. Session time-out and
 * heartbeat from config `KAFKA_COMMANDS_SESSION_TIMEOUT_MS` / `KAFKA_COMMANDS_HEARTBEAT_INTERVAL_MS`: a
 * replica that dies without leaving the group (kill -9) holds its partitions that long.
 */
export function kafkaBatchServer(
  config: AppConfig,
  clientId: string,
  groupId: string,
  extra: { fromBeginning?: boolean; partitionsConsumedConcurrently?: number; maxWaitTimeInMs?: number } = {},
): KafkaBatchServer {
  return new KafkaBatchServer({
    client: kafkaClientConfig(config, clientId),
    consumer: {
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: config.KAFKA_COMMANDS_SESSION_TIMEOUT_MS,
      heartbeatInterval: config.KAFKA_COMMANDS_HEARTBEAT_INTERVAL_MS,
      // A fetch returns as soon as there is anything: batching comes from what accumulated meanwhile.
      maxWaitTimeInMs: extra.maxWaitTimeInMs ?? 100,
    },
    fromBeginning: extra.fromBeginning ?? true,
    partitionsConsumedConcurrently: extra.partitionsConsumedConcurrently ?? 1,
  });
}

/** How a `KafkaPublisher` coalesces publishes, from config `KAFKA_PRODUCER_*` (docs/configuration.md). */
export function publisherBatching(config: AppConfig): PublisherBatching {
  return {
    lingerMs: config.KAFKA_PRODUCER_LINGER_MS,
    batchMax: config.KAFKA_PRODUCER_BATCH_MAX,
    batchMaxBytes: config.KAFKA_PRODUCER_BATCH_MAX_BYTES,
    queueMax: config.KAFKA_PRODUCER_QUEUE_MAX,
  };
}

/**
 * A Kafka consumer for `app.connectMicroservice({ strategy })`, with handlers bound at run time by `onTopic`
 * (topic names depend on config `KAFKA_TOPIC_PREFIX`, so they cannot be static `@EventPattern`s).
 */
export function kafkaServer(
  config: AppConfig,
  clientId: string,
  groupId: string,
  extra: Parameters<typeof kafkaOptions>[3] = {},
): ServerKafka {
  return new ServerKafka(kafkaOptions(config, clientId, groupId, extra).options ?? {});
}

/**
 * Calls `handler` for each message of `topic` on `server`, one at a time per partition; the offset is
 * committed only after the returned promise resolves, so a rejection makes Kafka redeliver the message.
 */
export function onTopic(
  server: ServerKafka,
  topic: string,
  handler: (value: unknown, context: KafkaContext) => Promise<void> | void,
): void {
  server.addHandler(topic, async (value: unknown, context?: KafkaContext) => handler(value, context as KafkaContext), true);
}
