import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { TOPICS, type CommandEnvelope } from '@tickets/contracts';
import { paced } from './http-load';
import type { ReadModelWatcher } from './readmodel-watch';
import { Recorder, type RunResult } from './recorder';
import { now, round } from './stats';
import { envelopeFor, ticketDocId, type Mix, type Op } from './workload';

/**
 * The same command mix published straight to `tickets.commands.v1` (as an internal service would, see
 * libs/testing/src/kafka-test-client.ts), results read from `tickets.command-results.v1` by a consumer
 * group of our own. Latency = publish start -> result consumed here.
 */
interface ParsedResult {
  readonly command_id: string;
  readonly status: string;
  readonly position?: string;
  readonly error?: { code?: number };
}

export class KafkaCommandClient {
  private readonly kafka: Kafka;
  private readonly groupId = `bench-results-${randomUUID()}`;
  private producer?: Producer;
  private consumer?: Consumer;
  private readonly pending = new Map<string, (result: ParsedResult, at: number, raw: string) => void>();
  /** One raw result of each command type, to size the raw baseline's result messages like the real ones. */
  readonly sampleResults = new Map<string, string>();

  /** `topics`: the deployment's topic names (config KAFKA_TOPIC_PREFIX + the contract's names). */
  constructor(
    brokers: readonly string[],
    private readonly topics: { readonly commands: string; readonly commandResults: string } = TOPICS,
  ) {
    this.kafka = new Kafka({
      clientId: `bench-${randomUUID().slice(0, 8)}`,
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
    });
  }

  /** Connects and waits until the results consumer is positioned at the end of the topic. */
  async start(): Promise<void> {
    this.producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.commandResults], fromBeginning: false });
    const positioned = new Promise<void>((resolve) => {
      const remove = this.consumer!.on(this.consumer!.events.FETCH, () => {
        remove();
        resolve();
      });
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: 6,
      eachMessage: async ({ message }) => {
        const at = now();
        const raw = message.value?.toString() ?? '';
        let parsed: ParsedResult;
        try {
          parsed = JSON.parse(raw) as ParsedResult;
        } catch {
          return;
        }
        const waiter = this.pending.get(parsed.command_id);
        if (waiter) {
          this.pending.delete(parsed.command_id);
          waiter(parsed, at, raw);
        }
      },
    });
    await positioned;
  }

  /** Publishes `envelope` keyed by its ticket path and resolves with its result (or a timeout). */
  send(envelope: CommandEnvelope, timeoutMs = 30_000): Promise<{ result: ParsedResult | null; at: number }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.command_id);
        resolve({ result: null, at: now() });
      }, timeoutMs);
      this.pending.set(envelope.command_id, (result, at, raw) => {
        clearTimeout(timer);
        if (result.status === 'succeeded' && !this.sampleResults.has(envelope.type))
          this.sampleResults.set(envelope.type, raw);
        resolve({ result, at });
      });
      const key = `${envelope.space_name}/${envelope.subpath}/${envelope.shortname}`;
      this.producer!.send({
        topic: this.topics.commands,
        messages: [{ key, value: JSON.stringify(envelope) }],
      }).catch(() => {
        clearTimeout(timer);
        this.pending.delete(envelope.command_id);
        resolve({ result: { command_id: envelope.command_id, status: 'publish error' }, at: now() });
      });
    });
  }

  /** Disconnects and deletes the results consumer group (it would otherwise linger, empty, in the cluster). */
  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([this.groupId]))
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export interface KafkaTarget {
  readonly client: KafkaCommandClient;
  readonly space: string;
  readonly mix: Mix;
  readonly watcher: ReadModelWatcher | null;
}

async function one(target: KafkaTarget, op: Op, t0: number, recorder: Recorder): Promise<void> {
  const { result, at } = await target.client.send(envelopeFor(target.space, op));
  if (result?.status === 'succeeded') {
    if (op.kind === 'create') target.mix.created(op.shortname);
    const position = result.position === undefined ? undefined : Number(result.position);
    recorder.success(
      op.kind,
      t0,
      at,
      ticketDocId(target.space, op.shortname),
      position === undefined ? { revision: op.kind === 'create' ? 0 : 1 } : { position },
    );
  } else {
    recorder.failure(
      result ? `${result.status}${result.error?.code ? ` ${result.error.code}` : ''}` : 'no result in 30 s',
    );
  }
}

/**
 * `concurrency` commands in flight, each replaced by the next as soon as its result arrives. As for HTTP,
 * commands started inside the window are waited for (up to `tailCapS`) while the load stays on.
 */
export async function kafkaClosedLoop(
  target: KafkaTarget,
  concurrency: number,
  durationS: number,
  warmupS: number,
  tailCapS: number,
  watchGraceMs?: number,
): Promise<RunResult> {
  const start = now();
  const end = start + durationS * 1000;
  const hardEnd = end + tailCapS * 1000;
  const recorder = new Recorder(start + warmupS * 1000, end, target.watcher);
  let pending = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const t = now();
        if ((t >= end && pending <= 0) || t >= hardEnd) return;
        const counted = recorder.inWindow(t);
        if (counted) pending++;
        await one(target, target.mix.next(), t, recorder);
        if (counted) pending--;
      }
    }),
  );
  return recorder.finish({ watchGraceMs });
}

/** Publishes at a fixed rate, evenly spaced; latency from each command's scheduled time. */
export async function kafkaFixedRate(
  target: KafkaTarget,
  rate: number,
  durationS: number,
  warmupS: number,
  watchGraceMs?: number,
): Promise<RunResult> {
  const inFlight = new Set<Promise<void>>();
  const start = now();
  const recorder = new Recorder(start + warmupS * 1000, start + durationS * 1000, target.watcher);
  const { sent, elapsedMs } = await paced(rate, durationS * 1000, (scheduledAt) => {
    const p = one(target, target.mix.next(), scheduledAt, recorder).finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  await Promise.all([...inFlight]);
  return recorder.finish({
    target_rate: round(rate, 1),
    sent_rate: round(sent / (elapsedMs / 1000), 1),
    watchGraceMs,
  });
}
