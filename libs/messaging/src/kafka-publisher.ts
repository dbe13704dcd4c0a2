import { type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ClientKafka } from '@nestjs/microservices';
import type { Message, Producer } from 'kafkajs';

/** How `KafkaPublisher` coalesces publishes into produce requests (config `KAFKA_PRODUCER_*`). */
export interface PublisherBatching {
  /** How long the first message of an idle publisher waits for company before its batch leaves, in ms. */
  readonly lingerMs: number;
  /** Most messages in one `sendBatch`; a queue this long leaves at once instead of lingering. */
  readonly batchMax: number;
  /**
   * Most bytes (keys, values, headers) in one `sendBatch`, kept under the broker's `message.max.bytes` per
   * partition batch (1 MiB by default); a single larger message still goes, alone.
   */
  readonly batchMaxBytes: number;
  /** Most messages waiting behind the batch in flight; beyond it `publish` rejects with `PublishQueueFullError`. */
  readonly queueMax: number;
  /** Runs `run` after `ms` and returns its cancellation (default `setTimeout`); tests pass a manual clock. */
  readonly schedule?: (run: () => void, ms: number) => () => void;
}

/**
 * `publish` refused a message because `queueMax` messages already wait: Kafka is unreachable or slower than
 * the publishers. Nothing was sent; the caller may retry later.
 */
export class PublishQueueFullError extends Error {
  override readonly name = 'PublishQueueFullError';
}

/** `publish` was called while the publisher shuts down; nothing was sent. */
export class PublisherClosedError extends Error {
  override readonly name = 'PublisherClosedError';
}

/** The part of Nest's `ClientKafka` the publisher uses: `connect` resolves with the kafkajs producer. */
export type ProducerClient = Pick<ClientKafka, 'close'> & { connect(): Promise<Pick<Producer, 'sendBatch'>> };

interface Queued {
  readonly topic: string;
  readonly message: Message;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const timerSchedule = (run: () => void, ms: number) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

/**
 * Publishes JSON messages to Kafka with the kafkajs producer of Nest's `ClientKafka` (options in
 * kafka-options.ts), coalescing concurrent publishes: messages queue, and one `sendBatch` (grouped by topic)
 * leaves after `lingerMs` or as soon as `batchMax`/`batchMaxBytes` is reached. Only one batch is in flight
 * per publisher, the next one accumulating meanwhile, so the messages of one key reach the broker in the
 * order of their `publish` calls, retries included (kafka-options.ts: one request in flight per broker).
 */
export class KafkaPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private inFlight?: Promise<void>;
  private cancelLinger?: () => void;
  private producer?: Promise<Pick<Producer, 'sendBatch'>>;
  private closing = false;
  private readonly schedule: NonNullable<PublisherBatching['schedule']>;

  constructor(
    private readonly client: ProducerClient,
    private readonly batching: PublisherBatching,
  ) {
    this.schedule = batching.schedule ?? timerSchedule;
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  /** Sends what is queued, waits for its acknowledgement, then disconnects. */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    while (this.inFlight || this.queue.length > 0) await (this.inFlight ?? this.flush());
    await this.client.close();
  }

  /**
   * Queues one message; resolves once the broker acknowledged this message's batch (acks from all in-sync
   * replicas), rejects with the producer's error when that batch failed after the client's retries (other
   * messages of the batch may then have been written: a redelivery is harmless, command ids are idempotent).
   * @param topic target topic
   * @param key partition key (ticket path for commands, command id for results)
   * @param value serialised as JSON at the call
   * @param headers optional string headers
   * @throws PublishQueueFullError at once when `queueMax` messages already wait (Kafka unreachable or slow)
   * @throws PublisherClosedError after shutdown began
   * @throws TypeError when `value` cannot be serialised (e.g. holds a BigInt); all errors arrive as a rejection
   */
  async publish(
    topic: string,
    key: string,
    value: unknown,
    headers: Record<string, string> = {},
  ): Promise<void> {
    if (this.closing) throw new PublisherClosedError('the Kafka publisher is shutting down');
    if (this.queue.length >= this.batching.queueMax) {
      throw new PublishQueueFullError(
        `Kafka producer queue full (${this.batching.queueMax} messages wait for the broker): Kafka is unreachable or slower than the publishers`,
      );
    }
    const encoded = Buffer.from(JSON.stringify(value));
    let bytes = encoded.length + key.length;
    for (const name in headers) bytes += name.length + headers[name].length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message: { key, value: encoded, headers }, bytes, resolve, reject });
      this.queuedBytes += bytes;
      this.plan();
    });
  }

  private connect(): Promise<Pick<Producer, 'sendBatch'>> {
    // A failed connect is not cached: the next batch tries again.
    this.producer ??= this.client.connect().catch((error: unknown) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  /** Decides when the queue leaves: never while a batch is in flight (its end sends the next one). */
  private plan(): void {
    if (this.inFlight) return;
    if (this.queue.length >= this.batching.batchMax || this.queuedBytes >= this.batching.batchMaxBytes) {
      void this.flush();
    } else {
      this.cancelLinger ??= this.schedule(() => {
        this.cancelLinger = undefined;
        void this.flush();
      }, this.batching.lingerMs);
    }
  }

  /** Sends one batch from the head of the queue, then the next if messages queued meanwhile. Never rejects. */
  private flush(): Promise<void> {
    this.cancelLinger?.();
    this.cancelLinger = undefined;
    if (this.inFlight || this.queue.length === 0) return this.inFlight ?? Promise.resolve();
    const batch = this.take();
    this.inFlight = this.send(batch).then(() => {
      this.inFlight = undefined;
      // These waited at least one round trip already: they leave now, without lingering.
      if (this.queue.length > 0) void this.flush();
    });
    return this.inFlight;
  }

  private take(): Queued[] {
    let count = 0;
    let bytes = 0;
    while (
      count < this.queue.length &&
      count < this.batching.batchMax &&
      (count === 0 || bytes + this.queue[count].bytes <= this.batching.batchMaxBytes)
    ) {
      bytes += this.queue[count].bytes;
      count++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, count);
  }

  private async send(batch: readonly Queued[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    try {
      const producer = await this.connect();
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    for (const queued of batch) queued.resolve();
  }
}
