import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { Kafka, type Consumer, type ConsumerConfig, type KafkaConfig } from 'kafkajs';

/** One consumed message as a batch handler sees it; `value` is the UTF-8 text of the message (null: none). */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
}

/**
 * Handles one partition's batch (messages in offset order): returns one promise per message, settled once
 * that message is done for good (resolved) or must be delivered again (rejected).
 */
export type BatchHandler = (messages: readonly ConsumedMessage[]) => readonly Promise<unknown>[];

/** Options of {@link KafkaBatchServer}. */
export interface KafkaBatchServerOptions {
  readonly client: KafkaConfig;
  readonly consumer: ConsumerConfig;
  /** Start from the earliest offset when the group has none committed (kafkajs `fromBeginning`). */
  readonly fromBeginning: boolean;
  /** Partitions whose batches are handled at the same time (kafkajs `partitionsConsumedConcurrently`). */
  readonly partitionsConsumedConcurrently: number;
}

/**
 * A Nest transport (`app.connectMicroservice({ strategy })`) that consumes whole batches with kafkajs
 * `eachBatch`, for topics where one message at a time is too slow (ticket-service's commands).
 *
 * At-least-once: a message's offset is resolved, and committed, only once its promise and those of every
 * message before it in the partition have resolved; the first rejection stops there, the offsets before it
 * are committed and the batch fails, so kafkajs delivers that message and the ones after it again. While a
 * batch runs the consumer keeps heartbeating, so a long batch does not cost the group its member.
 * `close()` disconnects the consumer, which leaves the group at once (no session time-out to wait out).
 */
export class KafkaBatchServer extends Server implements CustomTransportStrategy {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly batchHandlers = new Map<string, BatchHandler>();

  constructor(private readonly options: KafkaBatchServerOptions) {
    super();
    this.kafka = new Kafka(options.client);
    this.consumer = this.kafka.consumer(options.consumer);
  }

  /** Sends the batches of `topic` to `handler`; call before the server starts listening. */
  onBatch(topic: string, handler: BatchHandler): void {
    this.batchHandlers.set(topic, handler);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({
        topics: [...this.batchHandlers.keys()],
        fromBeginning: this.options.fromBeginning,
      });
      await this.consumer.run({
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
          const handler = this.batchHandlers.get(batch.topic);
          if (!handler || batch.messages.length === 0) return;
          const messages = batch.messages.map((message) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value === null ? null : message.value.toString('utf8'),
          }));
          const beat = setInterval(
            () => void heartbeat().catch(() => undefined),
            this.options.consumer.heartbeatInterval ?? 3000,
          );
          try {
            const { done, failure } = settledPrefix(await Promise.allSettled(handler(messages)));
            if (done > 0) resolveOffset(messages[done - 1].offset);
            await commitOffsetsIfNecessary();
            if (failure) throw failure.reason;
          } finally {
            clearInterval(beat);
          }
        },
      });
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }

  /** Registers a listener for a kafkajs consumer event (`consumer.events`). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- the signature of Nest's Server.on
  on<EventKey extends string = string, EventCallback extends Function = Function>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    this.consumer.on(event as never, callback as never);
  }

  /** `[kafka, consumer]`, like Nest's `ServerKafka`. */
  unwrap<T>(): T {
    return [this.kafka, this.consumer] as T;
  }
}

/**
 * How many messages of a batch are done for good: those before the first rejected one (offsets are
 * committed up to there and no further, so the rejected message and every later one are delivered again),
 * and that first rejection, if any.
 */
export function settledPrefix(settled: readonly PromiseSettledResult<unknown>[]): {
  done: number;
  failure?: PromiseRejectedResult;
} {
  const failed = settled.findIndex((outcome) => outcome.status === 'rejected');
  return failed < 0
    ? { done: settled.length }
    : { done: failed, failure: settled[failed] as PromiseRejectedResult };
}
