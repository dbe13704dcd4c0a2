import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram, register } from 'prom-client';
import type { AppConfig } from '@tickets/config';
import type { CommandEnvelope, CommandResult, TopicNames } from '@tickets/contracts';
import { KafkaPublisher } from '@tickets/messaging';
import { APP_CONFIG, KAFKA_TOPICS } from '@tickets/platform';
import { DmartException } from '../errors/dmart-exception';

/** How a `send` ended: its result arrived, the time ran out, or the publish failed. */
type Outcome =
  | { readonly kind: 'result'; readonly result: CommandResult }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'publish-failed'; readonly error: unknown };

const BUS_METRICS = {
  roundtrip: 'gateway_command_roundtrip_seconds',
  timeouts: 'gateway_command_timeouts_total',
  publishFailures: 'gateway_command_publish_failures_total',
} as const;

/**
 * Partition key of a command on `tickets.commands.v1`: `space/subpath/shortname`, so one resource's commands
 * keep their order. A `CreateTicket` with shortname `auto` has no key yet and cannot conflict with another
 * `auto` create (the event store enforces uniqueness), so it is keyed `space/subpath/auto-<command_id>`:
 * such creates spread over the partitions instead of queueing on one, and a resend of the same command
 * still lands on the same partition.
 */
export function commandKey(envelope: CommandEnvelope): string {
  const shortname =
    envelope.type === 'CreateTicket' && envelope.shortname === 'auto' ? `auto-${envelope.command_id}` : envelope.shortname;
  return [envelope.space_name, envelope.subpath, shortname].filter(Boolean).join('/');
}

/**
 * Sends commands to `tickets.commands.v1` and waits, bounded by `COMMAND_TIMEOUT_MS`, for their result on
 * `tickets.command-results.v1` (every gateway replica consumes all results in a group of its own).
 *
 * It also remembers, per resource path, the position of the last result it saw (`lastPosition`), so a read
 * can wait until the read model reached the caller's own write (read-your-writes).
 */
@Injectable()
export class CommandBus {
  private readonly logger = new Logger(CommandBus.name);
  /** Waiters per command id: a client resending with the same Idempotency-Key may wait twice for one result. */
  private readonly pending = new Map<string, Set<(result: CommandResult) => void>>();
  private readonly positions = new LRUCache<string, bigint>({ max: 200_000 });
  private readonly latency: Histogram<'type' | 'status'>;
  private readonly timeouts: Counter;
  private readonly publishFailures: Counter;

  constructor(
    private readonly publisher: KafkaPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA_TOPICS) private readonly topics: TopicNames,
  ) {
    // One registry per process: a second bus in the same (test) process replaces the metrics.
    for (const name of Object.values(BUS_METRICS)) register.removeSingleMetric(name);
    this.latency = new Histogram({
      name: BUS_METRICS.roundtrip,
      help: 'Time from publishing a command to receiving its result, in seconds',
      labelNames: ['type', 'status'] as const,
      buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.timeouts = new Counter({
      name: BUS_METRICS.timeouts,
      help: 'Commands whose result did not arrive within COMMAND_TIMEOUT_MS',
    });
    this.publishFailures = new Counter({
      name: BUS_METRICS.publishFailures,
      help: 'Commands the Kafka producer could not publish (Kafka unavailable)',
    });
  }

  /**
   * Publishes `envelope` (key: {@link commandKey}) and resolves with its result. It answers within
   * `COMMAND_TIMEOUT_MS` even while the producer still retries an unreachable Kafka, and leaves no promise
   * rejected unobserved (a publish that fails after the time-out is only logged).
   * @throws DmartException HTTP 504, code 99, when no result arrives in time: the command may still take
   *   effect; resending the request with the same Idempotency-Key (the same `command_id`) is safe.
   * @throws DmartException HTTP 503, code 99, when the producer gave up publishing (Kafka unavailable).
   */
  async send(envelope: CommandEnvelope): Promise<CommandResult> {
    const started = process.hrtime.bigint();
    const id = envelope.command_id;
    // Settled exactly once, by the first of: the result, the timer, a publish failure. It never rejects.
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    const onResult = (result: CommandResult) => settle({ kind: 'result', result });
    const waiters = this.pending.get(id) ?? new Set();
    waiters.add(onResult);
    this.pending.set(id, waiters);
    const timer = setTimeout(() => settle({ kind: 'timeout' }), this.config.COMMAND_TIMEOUT_MS);
    let finished = false;
    this.publisher.publish(this.topics.commands, commandKey(envelope), envelope).then(
      () => undefined,
      (error: unknown) => {
        this.publishFailures.inc();
        if (finished) this.logger.warn({ err: error, command_id: id }, 'command could not be published after its request ended');
        settle({ kind: 'publish-failed', error });
      },
    );
    try {
      const ended = await outcome;
      if (ended.kind === 'result') {
        this.latency.observe({ type: envelope.type, status: ended.result.status }, Number(process.hrtime.bigint() - started) / 1e9);
        return ended.result;
      }
      if (ended.kind === 'timeout') {
        this.timeouts.inc();
        throw new DmartException(
          {
            type: 'internal',
            code: 99,
            message: `no result for command ${id} within ${this.config.COMMAND_TIMEOUT_MS} ms; it may still take effect: resend the request with the same Idempotency-Key header to retry it safely`,
            info: [{ command_id: id }],
          },
          504,
        );
      }
      throw new DmartException(
        {
          type: 'internal',
          code: 99,
          message: `command ${id} could not be published: Kafka unavailable (${errorMessage(ended.error)}); retry later, with the same Idempotency-Key header`,
          info: [{ command_id: id }],
        },
        503,
      );
    } finally {
      finished = true;
      clearTimeout(timer);
      waiters.delete(onResult);
      if (waiters.size === 0 && this.pending.get(id) === waiters) this.pending.delete(id);
    }
  }

  /** Called for every message of the results topic, including results of other replicas' commands. */
  onResult(value: unknown): void {
    if (!value || typeof value !== 'object' || typeof (value as CommandResult).command_id !== 'string') return;
    const result = value as CommandResult;
    if (result.position && result.resource_path) {
      const position = BigInt(result.position);
      const known = this.positions.get(result.resource_path);
      if (known === undefined || position > known) this.positions.set(result.resource_path, position);
    }
    for (const resolve of this.pending.get(result.command_id) ?? []) resolve(result);
  }

  /** Last known position of a write to `resourcePath` (`space/subpath/shortname`), if any was seen. */
  lastPosition(resourcePath: string): bigint | undefined {
    return this.positions.get(resourcePath);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
