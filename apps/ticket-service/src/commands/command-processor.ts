import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  checkCommandEnvelope,
  toJsonText,
  normalizeSubpath,
  streamIds,
  type CommandEnvelope,
  type CommandResult,
  toDmartError,
  type TopicNames,
} from '@tickets/contracts';
import { ConcurrencyConflictError, DomainError } from '@tickets/domain';
import { GroupCommitEventStore } from '@tickets/event-store';
import { KafkaPublisher } from '@tickets/messaging';
import { KAFKA_TOPICS } from '@tickets/platform';
import { deterministicUuid } from '../application/handle-command';
import { CommandDispatcher } from './command-dispatcher';
import { canonicalResult } from './canonical-result';
import { CommandMetrics } from './command-metrics';
import { KeyedScheduler } from './keyed-scheduler';

/**
 * Event types recording, in the command's `command-<id>` stream, an answer that left no event in the
 * ticket's stream (a refusal, or an accepted no-op), so that a redelivery answers the same.
 */
const COMMAND_REJECTED = 'CommandRejected';
const COMMAND_ANSWERED = 'CommandAnswered';

/**
 * Largest result published, in bytes (Kafka's default message limit is 1 MiB). Tickets are bounded below it
 * (MAX_TICKET_BYTES); beyond it the result goes without the ticket view rather than not at all.
 */
const MAX_RESULT_BYTES = 900 * 1024;

/** The coordinates of the Kafka message being processed (for the dead-letter copy). */
export interface MessageCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
}

/** One message of `tickets.commands.v1`: its value as consumed (object, string or Buffer) and coordinates. */
export interface CommandMessage extends MessageCoordinates {
  readonly value: unknown;
}

/**
 * Processes the messages of `tickets.commands.v1` a batch at a time (ARCHITECTURE.md "Kafka contract"):
 * 1. checks each envelope against its JSON Schema; an unparseable or invalid message is answered `rejected`
 *    (code 422) and copied to `tickets.commands.dlq.v1` with the reason — it never blocks the partition;
 * 2. answers a command already refused (or accepted as a no-op) before with the recorded answer (same
 *    `command_id`, same result): the recorded answers of the whole batch are looked up with one read; a
 *    concurrency conflict (409) is not recorded: it is transient;
 * 3. dispatches it (workflow rules, append), and publishes the result keyed by `command_id`.
 * Commands with the same Kafka key (one ticket) run strictly in message order, others concurrently.
 * A refusal (DomainError) is recorded, then answered `rejected`. An unexpected error is answered `failed`
 * (code 99) and dead-lettered when the event store is reachable (a bug, not an outage); otherwise it is
 * rethrown so Kafka redelivers the message once the store is back (and the same key's later messages wait).
 * Every result is published in one canonical serialisation (`canonicalResult`), so a redelivery's answer is
 * byte-identical to the first.
 */
@Injectable()
export class CommandProcessor {
  private readonly logger = new Logger(CommandProcessor.name);
  private readonly scheduler = new KeyedScheduler();

  constructor(
    private readonly store: GroupCommitEventStore,
    private readonly publisher: KafkaPublisher,
    private readonly dispatcher: CommandDispatcher,
    private readonly metrics: CommandMetrics,
    @Inject(KAFKA_TOPICS) private readonly topics: TopicNames,
  ) {}

  /**
   * Starts every message of `messages` (one partition's batch, in offset order) and returns, per message,
   * a promise of its result that resolves once the result (and any dead-letter copy) is acknowledged by the
   * broker; it rejects when the message must be redelivered (store outage, broker error).
   */
  processBatch(messages: readonly CommandMessage[]): Promise<CommandResult>[] {
    const started = process.hrtime.bigint();
    const checked = messages.map((message) => ({ message, check: checkCommandEnvelope(message.value) }));
    const commandIds = [
      ...new Set(checked.flatMap(({ check }) => (check.ok ? [check.envelope.command_id] : []))),
    ];
    const recorded =
      commandIds.length > 0
        ? this.recordedOutcomes(commandIds)
        : Promise.resolve(new Map<string, CommandResult>());
    recorded.catch(() => undefined); // awaited (and reported) by each command below
    const looked = new Set<string>();
    return checked.map(({ message, check }) => {
      if (!check.ok) return this.refuseInvalid(message, check, started);
      const envelope: CommandEnvelope = {
        ...check.envelope,
        subpath: normalizeSubpath(check.envelope.subpath),
      };
      // The batch's lookup answers for the first delivery of a command id in the batch only: a duplicate
      // further on runs after it (same key) and must see what the first delivery recorded.
      const firstInBatch = !looked.has(envelope.command_id);
      looked.add(envelope.command_id);
      const key = message.key ?? `${message.partition}:${message.offset}`;
      return this.scheduler
        .run(key, async () => {
          const prior = firstInBatch
            ? ((await recorded).get(envelope.command_id) ?? null)
            : await this.recordedOutcome(envelope.command_id);
          return prior ?? (await this.execute(envelope, message));
        })
        .then(async (result) => {
          await this.publishResult(result, started, envelope.type);
          return result;
        });
    });
  }

  private async refuseInvalid(
    message: CommandMessage,
    check: { reason: string; errors: readonly object[] },
    started: bigint,
  ): Promise<CommandResult> {
    const commandId =
      extractCommandId(message.value) ??
      deterministicUuid('unparseable', message.topic, message.partition, message.offset);
    const result: CommandResult = {
      command_id: commandId,
      status: 'rejected',
      error: { type: 'request', code: 422, message: check.reason, info: check.errors.map((e) => ({ ...e })) },
    };
    await Promise.all([
      this.deadLetter(message.value, message, check.reason),
      this.publishResult(result, started, 'invalid'),
    ]);
    return result;
  }

  /** Decides and appends a command not answered before; the result to publish. */
  private async execute(envelope: CommandEnvelope, message: CommandMessage): Promise<CommandResult> {
    try {
      const { noop, ...answer } = await this.dispatcher.dispatch(envelope);
      return noop ? await this.recordOutcome(envelope, COMMAND_ANSWERED, answer) : answer;
    } catch (error) {
      if (error instanceof ConcurrencyConflictError) {
        // Transient: answered, not recorded, so re-publishing the command tries again.
        return { command_id: envelope.command_id, status: 'rejected', error: toDmartError(error) };
      }
      if (error instanceof DomainError) {
        const refusal: CommandResult = {
          command_id: envelope.command_id,
          status: 'rejected',
          error: toDmartError(error),
        };
        return this.recordOutcome(envelope, COMMAND_REJECTED, refusal);
      }
      if (!(await this.storeIsReachable())) throw error; // outage: let Kafka redeliver once the store is back
      this.logger.error({ err: error, command_id: envelope.command_id }, 'command failed unexpectedly');
      const reason = error instanceof Error ? error.message : String(error);
      await this.deadLetter(message.value, message, reason);
      return {
        command_id: envelope.command_id,
        status: 'failed',
        error: { type: 'internal', code: 99, message: `unexpected error: ${reason}` },
      };
    }
  }

  /** The recorded answers of `commandIds` (absent: none recorded), with one read of the store. */
  private async recordedOutcomes(commandIds: readonly string[]): Promise<Map<string, CommandResult>> {
    const streams = await this.store.readStreams(
      commandIds.map((id) => streamIds.commandRejection(id)),
      { max_count: 1 },
    );
    const answers = new Map<string, CommandResult>();
    for (const id of commandIds) {
      const [event] = streams.get(streamIds.commandRejection(id)) ?? [];
      if (event) answers.set(id, event.data as unknown as CommandResult);
    }
    return answers;
  }

  private async recordedOutcome(commandId: string): Promise<CommandResult | null> {
    const [event] = await this.store.readStream(streamIds.commandRejection(commandId), { max_count: 1 });
    return event ? (event.data as unknown as CommandResult) : null;
  }

  /** Records the answer once (first write wins); a concurrent duplicate's record is returned instead. */
  private async recordOutcome(
    envelope: CommandEnvelope,
    type: string,
    result: CommandResult,
  ): Promise<CommandResult> {
    const commandId = envelope.command_id;
    const streamId = streamIds.commandRejection(commandId);
    await this.store.append(
      streamId,
      [
        {
          id: deterministicUuid(commandId, streamId, 0),
          type,
          data: result as unknown as Record<string, unknown>,
          metadata: {
            command_id: commandId,
            correlation_id: envelope.correlation_id,
            causation_id: envelope.causation_id ?? commandId,
            actor: envelope.actor.shortname,
            occurred_at: envelope.issued_at,
          },
        },
      ],
      'any',
    );
    return (await this.recordedOutcome(commandId)) ?? result;
  }

  private async publishResult(result: CommandResult, started: bigint, type: string): Promise<void> {
    const publishing = process.hrtime.bigint();
    const canonical = canonicalResult(result);
    const fits = Buffer.byteLength(JSON.stringify(canonical)) <= MAX_RESULT_BYTES;
    const { ticket: _ticket, ...withoutTicket } = canonical;
    await this.publisher.publish(
      this.topics.commandResults,
      result.command_id,
      fits ? canonical : withoutTicket,
    );
    this.metrics.observeStage('publish', Number(process.hrtime.bigint() - publishing) / 1e9);
    this.metrics.observe(type, result.status, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async deadLetter(value: unknown, message: MessageCoordinates, reason: string): Promise<void> {
    const raw = Buffer.isBuffer(value) ? value.toString('base64') : typeof value === 'string' ? value : toJsonText(value); // any depth
    await this.publisher.publish(
      this.topics.commandsDlq,
      message.key ?? `${message.partition}:${message.offset}`,
      { reason, original: raw, topic: message.topic, partition: message.partition, offset: message.offset },
      { 'x-dlq-reason': reason.slice(0, 1000) },
    );
  }

  private async storeIsReachable(): Promise<boolean> {
    try {
      await this.store.ping();
      return true;
    } catch {
      return false;
    }
  }
}

/** Best effort: the command id of a message that failed validation, so its sender still gets an answer. */
function extractCommandId(value: unknown): string | null {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  const id = v && typeof v === 'object' ? (v as { command_id?: unknown }).command_id : undefined;
  return typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id) ? id : null;
}
