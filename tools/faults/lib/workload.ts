import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { DEVELOPMENT_JWT_SECRET } from '@tickets/config';
import { topicNames, type CommandEnvelope } from '@tickets/contracts';
import { ADMIN, envelope, SUPPORT_WORKFLOW } from '@tickets/testing';

/** The actor of every workload command (roles of the support workflow's agents and supervisors). */
const ACTOR = { shortname: 'faults_agent', roles: ['agent', 'supervisor'] };
/** One ticket's life in the workload: create, then three transitions (a resolution on the way). */
export const TICKET_STEPS = [
  { action: null, resolution: undefined },
  { action: 'start', resolution: undefined },
  { action: 'resolve', resolution: 'fixed' },
  { action: 'reopen', resolution: undefined },
] as const;
/** State and openness a ticket ends in after {@link TICKET_STEPS}. */
export const FINAL_STATE = { state: 'in_progress', is_open: true } as const;

/** What one command of the workload ended with, as its sender saw it. */
export interface CommandRecord {
  readonly command_id: string;
  readonly path: 'http' | 'kafka';
  readonly ticket: string;
  readonly step: number;
  /** Every answer received for it (raw JSON text: HTTP bodies of 2xx/4xx, or Kafka result values). */
  readonly answers: string[];
  /** `succeeded`, `rejected` (a 4xx or a rejected result), or `unanswered` when the bounds ran out. */
  outcome: 'succeeded' | 'rejected' | 'unanswered';
  /** Sends (HTTP attempts or Kafka publishes) it took. */
  sends: number;
}

/** A record of a command not yet sent. */
export function newRecord(
  command_id: string,
  path: CommandRecord['path'],
  ticket = '',
  step = 0,
): CommandRecord {
  return { command_id, path, ticket, step, answers: [], outcome: 'unanswered', sends: 0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Internal-service side of the campaign: publishes commands straight to `tickets.commands.v1` and reads
 * every result (raw) from `tickets.command-results.v1`. A command without an answer after `resendAfterMs`
 * is published again with the same `command_id` (a duplicate delivery, as a real publisher's retry makes).
 */
export class KafkaDriver {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private consumer?: Consumer;
  private readonly topics = topicNames('');
  private readonly waiters = new Map<string, () => void>();
  readonly results = new Map<string, string[]>();

  constructor(
    brokers: string,
    private readonly resendAfterMs = 15_000,
  ) {
    this.kafka = new Kafka({
      clientId: `faults-${randomUUID().slice(0, 8)}`,
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 3000 },
    });
  }

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({
      groupId: `faults-${randomUUID()}`,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.commandResults], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const text = message.value?.toString() ?? '';
        let id: unknown;
        try {
          id = (JSON.parse(text) as { command_id?: unknown }).command_id;
        } catch {
          return;
        }
        if (typeof id !== 'string') return;
        this.results.set(id, [...(this.results.get(id) ?? []), text]);
        this.waiters.get(id)?.();
      },
    });
  }

  /**
   * Publishes (and re-publishes) `command` until a result arrives or `deadlineMs` passes. With `again`, a
   * duplicate delivery on purpose: publishes it once more and waits for a second answer.
   */
  async send(
    command: CommandEnvelope,
    record: CommandRecord,
    deadlineMs: number,
    options: { again?: boolean } = {},
  ): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    const key = [command.space_name, command.subpath, command.shortname].join('/');
    const wanted = (this.results.get(command.command_id)?.length ?? 0) + (options.again ? 1 : 0);
    const answered = () => (this.results.get(command.command_id)?.length ?? 0) >= Math.max(1, wanted);
    while (!answered() && Date.now() < deadline) {
      record.sends += 1;
      await this.producer!.send({
        topic: this.topics.commands,
        messages: [{ key, value: JSON.stringify(command) }],
      }).catch(() => sleep(500));
      await new Promise<void>((done) => {
        if (answered()) return done(); // the answer came while publishing
        const timer = setTimeout(done, Math.min(this.resendAfterMs, Math.max(0, deadline - Date.now())));
        this.waiters.set(command.command_id, () => {
          clearTimeout(timer);
          done();
        });
      });
      this.waiters.delete(command.command_id);
    }
    const first = this.results.get(command.command_id)?.[0];
    record.outcome =
      first === undefined
        ? 'unanswered'
        : (JSON.parse(first) as { status: string }).status === 'succeeded'
          ? 'succeeded'
          : 'rejected';
  }

  /** Every answer seen per command id (copied into the records at the end: late duplicates count too). */
  answersOf(commandId: string): string[] {
    return this.results.get(commandId) ?? [];
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/**
 * API-consumer side: Dmart requests through the gateway with an `Idempotency-Key`, resent with the same key
 * after a network error, a 5xx or a 504 time-out, until a 2xx/4xx answer or `deadlineMs`.
 */
export class HttpDriver {
  readonly token = new JwtService({ secret: process.env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET }).sign(
    { sub: ACTOR.shortname, roles: ACTOR.roles, groups: [] },
    { algorithm: 'HS256', expiresIn: 6 * 3600 },
  );

  constructor(private readonly baseUrl: () => string) {}

  async send(
    method: string,
    path: string,
    body: unknown,
    record: CommandRecord,
    deadlineMs: number,
  ): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let delay = 200;
    while (Date.now() < deadline) {
      record.sends += 1;
      try {
        const response = await fetch(`${this.baseUrl()}${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${this.token}`,
            'idempotency-key': record.command_id,
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.status < 500) {
          record.answers.push(text);
          record.outcome = response.ok ? 'succeeded' : 'rejected';
          return;
        }
      } catch {
        // connection refused / reset while the gateway restarts: resend with the same key
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 2000);
    }
    record.outcome = 'unanswered';
  }

  /** GET `path` with the workload's token; `null` on a network error. */
  async get(path: string): Promise<{ status: number; body: unknown } | null> {
    try {
      const response = await fetch(`${this.baseUrl()}${path}`, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: await response.json().catch(() => null) };
    } catch {
      return null;
    }
  }
}

/** The workflow definition command the workload's tickets follow. */
export function workflowCommand(space: string): CommandEnvelope {
  return envelope(
    'DefineWorkflow',
    { space_name: space, subpath: 'workflows', shortname: 'support' },
    { mode: 'create', body: SUPPORT_WORKFLOW },
    ADMIN,
  );
}

/** The Kafka envelope of step `step` of ticket `shortname`. */
export function kafkaStep(space: string, shortname: string, step: number): CommandEnvelope {
  const key = { space_name: space, subpath: 'tickets', shortname };
  const { action, resolution } = TICKET_STEPS[step];
  return action === null
    ? envelope('CreateTicket', key, { workflow_shortname: 'support' }, ACTOR)
    : envelope('ProgressTicket', key, resolution ? { action, resolution } : { action }, ACTOR);
}

/** The HTTP request (method, path, body) of step `step` of ticket `shortname`. */
export function httpStep(
  space: string,
  shortname: string,
  step: number,
): { method: string; path: string; body: unknown } {
  const { action, resolution } = TICKET_STEPS[step];
  if (action === null) {
    return {
      method: 'POST',
      path: '/managed/request',
      body: {
        space_name: space,
        request_type: 'create',
        records: [
          {
            resource_type: 'ticket',
            shortname,
            subpath: 'tickets',
            attributes: { workflow_shortname: 'support', is_active: true },
          },
        ],
      },
    };
  }
  return {
    method: 'PUT',
    path: `/managed/progress-ticket/${space}/tickets/${shortname}/${action}`,
    body: resolution ? { resolution } : {},
  };
}
