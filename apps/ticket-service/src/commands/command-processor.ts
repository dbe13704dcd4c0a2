import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  checkCommandEnvelope,
  normalizeSubpath,
  streamIds,
  type CommandEnvelope,
  type CommandResult,
  toDmartError,
  type DmartError,
  type TopicNames,
} from '@tickets/contracts';
import { DomainError } from '@tickets/domain';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { KafkaPublisher } from '@tickets/messaging';
import { KAFKA_TOPICS } from '@tickets/platform';
import { deterministicUuid } from '../application/handle-command';
import { CommandDispatcher } from './command-dispatcher';
import { CommandMetrics } from './command-metrics';

/** Event type recording a refused command in its `command-<id>` stream (so a redelivery answers the same). */
const COMMAND_REJECTED = 'CommandRejected';

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
 * 2. answers a command already refused before with the recorded refusal (same `command_id`, same result);
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

    const refusal = await this.recordedRefusal(envelope.command_id);
    if (refusal) {
      await this.publishResult(refusal, started, envelope.type);
      return refusal;
    }

    let result: CommandResult;
    try {
      result = await this.dispatcher.dispatch(envelope);
    } catch (error) {
      if (error instanceof DomainError) {
        result = await this.recordRefusal(envelope, toDmartError(error));
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

  private async recordedRefusal(commandId: string): Promise<CommandResult | null> {
    const [event] = await this.store.readStream(streamIds.commandRejection(commandId), { max_count: 1 });
    return event ? (event.data as unknown as CommandResult) : null;
  }

  /** Records the refusal once (`no_stream`); a concurrent duplicate's record wins and is returned instead. */
  private async recordRefusal(envelope: CommandEnvelope, error: DmartError): Promise<CommandResult> {
    const commandId = envelope.command_id;
    const result: CommandResult = { command_id: commandId, status: 'rejected', error };
    const streamId = streamIds.commandRejection(commandId);
    await this.store.append(
      streamId,
      [
        {
          id: deterministicUuid(commandId, streamId, 0),
          type: COMMAND_REJECTED,
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
    return (await this.recordedRefusal(commandId)) ?? result;
  }

  private async publishResult(result: CommandResult, started: bigint, type: string): Promise<void> {
    const publishing = process.hrtime.bigint();
    await this.publisher.publish(this.topics.commandResults, result.command_id, result);
    this.metrics.observeStage('publish', Number(process.hrtime.bigint() - publishing) / 1e9);
    this.metrics.observe(type, result.status, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async deadLetter(value: unknown, message: MessageCoordinates, reason: string): Promise<void> {
    const raw = Buffer.isBuffer(value) ? value.toString('base64') : typeof value === 'string' ? value : JSON.stringify(value);
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
