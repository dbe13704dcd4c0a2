import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram } from 'prom-client';
import type { AppConfig } from '@tickets/config';
import type { CommandEnvelope, CommandResult, TopicNames } from '@tickets/contracts';
import { KafkaPublisher } from '@tickets/messaging';
import { APP_CONFIG, KAFKA_TOPICS } from '@tickets/platform';
import { DmartException } from '../errors/dmart-exception';

interface Pending {
  readonly resolve: (result: CommandResult) => void;
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
  private readonly pending = new Map<string, Pending>();
  private readonly positions = new LRUCache<string, bigint>({ max: 200_000 });
  private readonly latency = new Histogram({
    name: 'gateway_command_roundtrip_seconds',
    help: 'Time from publishing a command to receiving its result, in seconds',
    labelNames: ['type', 'status'] as const,
    buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  private readonly timeouts = new Counter({
    name: 'gateway_command_timeouts_total',
    help: 'Commands whose result did not arrive within COMMAND_TIMEOUT_MS',
  });

  constructor(
    private readonly publisher: KafkaPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA_TOPICS) private readonly topics: TopicNames,
  ) {}

  /**
   * Publishes `envelope` (key: `space/subpath/shortname`) and resolves with its result.
   * @throws DmartException (HTTP 504, code 99) when no result arrives in time: the command may still take
   *   effect; re-sending it with the same `command_id` is safe.
   */
  async send(envelope: CommandEnvelope): Promise<CommandResult> {
    const started = process.hrtime.bigint();
    let timer: NodeJS.Timeout | undefined;
    const result = new Promise<CommandResult>((resolve, reject) => {
      this.pending.set(envelope.command_id, { resolve });
      timer = setTimeout(() => {
        this.pending.delete(envelope.command_id);
        this.timeouts.inc();
        reject(
          new DmartException(
            {
              type: 'internal',
              code: 99,
              message: `no result for command ${envelope.command_id} within ${this.config.COMMAND_TIMEOUT_MS} ms; it may still take effect, and re-sending it with the same command_id is safe`,
              info: [{ command_id: envelope.command_id }],
            },
            504,
          ),
        );
      }, this.config.COMMAND_TIMEOUT_MS);
    });
    try {
      const key = [envelope.space_name, envelope.subpath, envelope.shortname].filter(Boolean).join('/');
      await this.publisher.publish(this.topics.commands, key, envelope);
      const outcome = await result;
      this.latency.observe({ type: envelope.type, status: outcome.status }, Number(process.hrtime.bigint() - started) / 1e9);
      return outcome;
    } finally {
      clearTimeout(timer);
      this.pending.delete(envelope.command_id);
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
    this.pending.get(result.command_id)?.resolve(result);
  }

  /** Last known position of a write to `resourcePath` (`space/subpath/shortname`), if any was seen. */
  lastPosition(resourcePath: string): bigint | undefined {
    return this.positions.get(resourcePath);
  }
}
