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
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { KafkaPublisher } from '@tickets/messaging';
import { KAFKA_TOPICS } from '@tickets/platform';
import { deterministicUuid } from '../application/handle-command';
import { CommandDispatcher } from './command-dispatcher';
import { CommandMetrics } from './command-metrics';

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

/**
 * Processes one message of `tickets.commands.v1` (ARCHITECTURE.md "Kafka contract"):
 * 1. checks the envelope against its JSON Schema; an unparseable or invalid message is answered `rejected`
 *    (code 422) and copied to `tickets.commands.dlq.v1` with the reason — it never blocks the partition;
 * 2. answers a command already refused (or accepted as a no-op) before with the recorded answer (same
 *    `command_id`, same result); a concurrency conflict (409) is not recorded: it is transient;
 * 3. dispatches it (workflow rules, append), and publishes the result keyed by `command_id`.
 * A refusal (DomainError) is recorded, then answered `rejected`. An unexpected error is answered `failed`
 * (code 99) and dead-lettered when the event store is reachable (a bug, not an outage); otherwise it is
 * rethrown so Kafka redelivers the message once the store is back.
 */
@Injectable()
export class CommandProcessor {
  private readonly logger = new Logger(CommandProcessor.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly publisher: KafkaPublisher,
    private readonly dispatcher: CommandDispatcher,
    private readonly metrics: CommandMetrics,
    @Inject(KAFKA_TOPICS) private readonly topics: TopicNames,
  ) {}

  /** @param value the message value as Nest's Kafka parser left it (object, string or Buffer) */
  async process(value: unknown, message: MessageCoordinates): Promise<CommandResult> {
    const started = process.hrtime.bigint();
    const check = checkCommandEnvelope(value);
    if (!check.ok) {
      const commandId = extractCommandId(value) ?? deterministicUuid('unparseable', message.topic, message.partition, message.offset);
      const result: CommandResult = {
        command_id: commandId,
        status: 'rejected',
        error: { type: 'request', code: 422, message: check.reason, info: check.errors.map((e) => ({ ...e })) },
      };
      await this.deadLetter(value, message, check.reason);
      await this.publishResult(result, started, 'invalid');
      return result;
    }
    const envelope: CommandEnvelope = { ...check.envelope, subpath: normalizeSubpath(check.envelope.subpath) };

    const recorded = await this.recordedOutcome(envelope.command_id);
    if (recorded) {
      await this.publishResult(recorded, started, envelope.type);
      return recorded;
    }

    let result: CommandResult;
    try {
      const { noop, ...answer } = await this.dispatcher.dispatch(envelope);
      result = noop ? await this.recordOutcome(envelope, COMMAND_ANSWERED, answer) : answer;
    } catch (error) {
      if (error instanceof ConcurrencyConflictError) {
        // Transient: answered, not recorded, so re-publishing the command tries again.
        result = { command_id: envelope.command_id, status: 'rejected', error: toDmartError(error) };
      } else if (error instanceof DomainError) {
        const refusal: CommandResult = { command_id: envelope.command_id, status: 'rejected', error: toDmartError(error) };
        result = await this.recordOutcome(envelope, COMMAND_REJECTED, refusal);
      } else if (await this.storeIsReachable()) {
        this.logger.error({ err: error, command_id: envelope.command_id }, 'command failed unexpectedly');
        const reason = error instanceof Error ? error.message : String(error);
        result = {
          command_id: envelope.command_id,
          status: 'failed',
          error: { type: 'internal', code: 99, message: `unexpected error: ${reason}` },
        };
        await this.deadLetter(value, message, reason);
      } else {
        throw error; // outage: let Kafka redeliver once the store is back
      }
    }
    await this.publishResult(result, started, envelope.type);
    return result;
  }

  private async recordedOutcome(commandId: string): Promise<CommandResult | null> {
    const [event] = await this.store.readStream(streamIds.commandRejection(commandId), { max_count: 1 });
    return event ? (event.data as unknown as CommandResult) : null;
  }

  /** Records the answer once (first write wins); a concurrent duplicate's record is returned instead. */
  private async recordOutcome(envelope: CommandEnvelope, type: string, result: CommandResult): Promise<CommandResult> {
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
    const fits = Buffer.byteLength(JSON.stringify(result)) <= MAX_RESULT_BYTES;
    const { ticket: _ticket, ...withoutTicket } = result;
    await this.publisher.publish(this.topics.commandResults, result.command_id, fits ? result : withoutTicket);
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
