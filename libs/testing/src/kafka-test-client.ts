import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { loadConfig } from '@tickets/config';
import { topicNames, type CommandEnvelope, type CommandResult, type TopicNames } from '@tickets/contracts';

/**
 * Plays an internal service that publishes commands straight to `tickets.commands.v1` and reads
 * `tickets.command-results.v1` (and the dead-letter topic), against the real local Kafka.
 */
export class KafkaTestClient {
  private readonly kafka = new Kafka({
    clientId: `e2e-${randomUUID().slice(0, 8)}`,
    brokers: [...loadConfig().kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  private producer?: Producer;
  private consumer?: Consumer;
  readonly results: CommandResult[] = [];
  /** Each result's message value exactly as published (UTF-8), in arrival order. */
  readonly rawResults: { readonly command_id: string; readonly raw: string }[] = [];
  readonly deadLetters: { key: string | null; value: Record<string, unknown>; reason: string | undefined }[] = [];
  readonly topics: TopicNames;

  /** @param prefix topic prefix of the system under test (config `KAFKA_TOPIC_PREFIX`) */
  constructor(prefix = loadConfig().KAFKA_TOPIC_PREFIX) {
    this.topics = topicNames(prefix);
  }

  /** Connects and waits until the consumer is positioned at the end of the results and DLQ topics. */
  async start(): Promise<void> {
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: `e2e-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.commandResults, this.topics.commandsDlq], fromBeginning: false });
    const positioned = new Promise<void>((resolve) => {
      const remove = this.consumer!.on(this.consumer!.events.FETCH, () => {
        remove();
        resolve();
      });
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const value = JSON.parse(message.value?.toString() ?? 'null');
        if (topic === this.topics.commandResults) {
          this.results.push(value);
          this.rawResults.push({ command_id: value?.command_id, raw: message.value?.toString() ?? '' });
        }
        else this.deadLetters.push({ key: message.key?.toString() ?? null, value, reason: message.headers?.['x-dlq-reason']?.toString() });
      },
    });
    await positioned;
  }

  /** Publishes a raw value (object -> JSON, string/Buffer as is) with `key` to the commands topic. */
  async publishRaw(key: string, value: unknown): Promise<void> {
    const encoded = typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value);
    await this.producer!.send({ topic: this.topics.commands, messages: [{ key, value: encoded }] });
  }

  /**
   * Publishes several messages with one produce request (raw values as in `publishRaw`, envelopes keyed by
   * their ticket path), so that those of one partition reach the consumer together, in this order.
   */
  async publishBatch(messages: readonly (CommandEnvelope | { readonly key: string; readonly raw: string })[]): Promise<void> {
    await this.producer!.send({
      topic: this.topics.commands,
      messages: messages.map((m) =>
        'raw' in m ? { key: m.key, value: m.raw } : { key: [m.space_name, m.subpath, m.shortname].join('/'), value: JSON.stringify(m) },
      ),
    });
  }

  /** Publishes an envelope keyed by its ticket path, as the contract asks. */
  async publish(envelope: CommandEnvelope): Promise<void> {
    await this.publishRaw([envelope.space_name, envelope.subpath, envelope.shortname].join('/'), envelope);
  }

  /** Waits until `count` results for `commandId` arrived (or `timeoutMs` passed) and returns them. */
  async resultsFor(commandId: string, count = 1, timeoutMs = 15000): Promise<CommandResult[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.results.filter((r) => r.command_id === commandId);
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

/** An internal publisher acting with the default admin role (may define workflows, schemas, groups). */
export const ADMIN: CommandEnvelope['actor'] = { shortname: 'platform_admin', roles: ['super_admin'] };

/** An envelope as an internal publisher would build it (fresh ids, now). */
export function envelope(
  type: CommandEnvelope['type'],
  key: { space_name: string; subpath: string; shortname: string },
  payload: Record<string, unknown>,
  actor: CommandEnvelope['actor'] = { shortname: 'billing_service', roles: ['agent', 'supervisor'] },
): CommandEnvelope {
  const command_id = randomUUID();
  return { command_id, type, ...key, actor, issued_at: new Date().toISOString(), correlation_id: command_id, payload };
}
