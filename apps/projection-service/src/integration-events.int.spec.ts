import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ticketEventV1Schema } from '@tickets/contracts';
import { integrationEventsCheckpoint, MongoCheckpointStore, TicketsReadModel, type TicketIntegrationEvent } from '@tickets/read-models';
import { createdData, eventually, serviceUnderTest, type ServiceUnderTest } from './testing/service-under-test';

/**
 * The public ticket events on `tickets.events.v1` (docs/integration-events.md), published by the projection
 * service in-process against real PostgreSQL, FerretDB and Kafka, on topics of its own (KAFKA_TOPIC_PREFIX).
 */
jest.setTimeout(120_000);

interface Received {
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly event: TicketIntegrationEvent;
}

describe('integration events (projection-service -> tickets.events.v1)', () => {
  let sut: ServiceUnderTest;
  let consumer: Consumer;
  const received: Received[] = [];
  const validate = (() => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    return ajv.compile(ticketEventV1Schema);
  })();

  beforeAll(async () => {
    sut = await serviceUnderTest();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await sut?.close();
  });

  /** Starts reading the events topic from its beginning. */
  const consume = async () => {
    const kafka = new Kafka({ clientId: `events-test-${randomUUID().slice(0, 8)}`, brokers: [...sut.config.kafkaBrokers], logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: `events-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: sut.topics.events, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        received.push({ key: message.key?.toString() ?? null, headers, event: JSON.parse(message.value?.toString() ?? 'null') });
      },
    });
  };
  const ids = () => new Set(received.map((r) => r.event.event_id));
  const checkpoints = () => new MongoCheckpointStore(sut.connection);

  describe('while the events topic does not exist yet (Kafka refuses every batch)', () => {
    const appended: { id: string; position: bigint }[] = [];

    it('keeps the read model current but never stores the publisher checkpoint past unpublished events', async () => {
      await sut.start();
      const key = { space_name: 'acme', subpath: 'tickets', shortname: 'early' };
      appended.push(await sut.append('ticket-acme/tickets/early', { type: 'TicketCreated', data: createdData(key) }));
      appended.push(
        await sut.append('ticket-acme/tickets/early', {
          type: 'TicketAssigned',
          data: { owner_shortname: 'bob', owner_group_shortname: 'l2', previous_owner_shortname: 'alice', by: 'admin', at: new Date().toISOString() },
        }),
      );
      const head = appended[1].position;
      // The read model does not wait for Kafka.
      expect(await new TicketsReadModel(sut.connection).waitForPosition(key, head, 10_000)).toBe(true);
      // The publisher's runner processed both, but Kafka acknowledged none: no checkpoint.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await checkpoints().load(integrationEventsCheckpoint(sut.config.PROJECTION_NAME))).toBeNull();
      const health = (await (await fetch(`${sut.baseUrl}/health`)).json()) as { details?: Record<string, any>; error?: Record<string, any> };
      const publisher = (health.details ?? health.error ?? {}).integration_events;
      expect(publisher).toMatchObject({ pending: 2, published: 0 });
    });

    it('publishes them once the topic exists, then stores the checkpoint', async () => {
      await sut.createEventsTopic();
      await consume();
      await eventually(() => appended.every((a) => ids().has(a.id)), 60_000);
      expect([...ids()].sort()).toEqual(appended.map((a) => a.id).sort());
      const checkpoint = await eventually(() => checkpoints().load(integrationEventsCheckpoint(sut.config.PROJECTION_NAME)), 10_000);
      expect(checkpoint).toBe(appended[1].position);
    });
  });

  describe('for each ticket change', () => {
    const tickets: { id: string; position: bigint; stream: string }[] = [];

    it('publishes one event with its event id, keyed by the ticket path, valid against the v1 schema', async () => {
      const t1 = { space_name: 'acme', subpath: 'support/l1', shortname: 't1' };
      const t2 = { space_name: 'acme', subpath: 'support/l1', shortname: 't2' };
      const s1 = 'ticket-acme/support/l1/t1';
      const s2 = 'ticket-acme/support/l1/t2';
      const now = () => new Date().toISOString();
      await sut.append('workflow-acme/support', { type: 'WorkflowDefined', data: { space_name: 'acme', shortname: 'support', version: 1, definition: {}, at: now() } });
      tickets.push({ ...(await sut.append(s1, { type: 'TicketCreated', data: createdData(t1) })), stream: s1 });
      tickets.push({ ...(await sut.append(s2, { type: 'TicketCreated', data: createdData(t2) })), stream: s2 });
      await sut.append(`command-${randomUUID()}`, { type: 'CommandRejected', data: { reason: 'test' } });
      tickets.push({
        ...(await sut.append(s1, {
          type: 'TicketProgressed',
          data: { action: 'close', from_state: 'new', state: 'done', is_open: false, resolution_reason: 'fixed', actor: 'bob', at: now() },
        })),
        stream: s1,
      });
      tickets.push({ ...(await sut.append(s2, { type: 'TicketDeleted', data: { by: 'admin', at: now() } })), stream: s2 });

      await eventually(() => tickets.every((t) => ids().has(t.id)), 30_000);
      const mine = received.filter((r) => tickets.some((t) => t.id === r.event.event_id));
      // At least once: duplicates are allowed but identical; here each arrived once.
      expect(new Set(mine.map((r) => r.event.event_id)).size).toBe(tickets.length);
      for (const { key, headers, event } of mine) {
        const appended = tickets.find((t) => t.id === event.event_id)!;
        expect(key).toBe(event.ticket_path);
        expect(`ticket-${event.ticket_path}`).toBe(appended.stream);
        expect(event.position).toBe(appended.position.toString());
        expect(headers).toMatchObject({ 'x-event-id': event.event_id, 'x-event-type': event.event_type, 'x-schema': 'ticket-event.v1' });
        expect(validate(event)).toBe(true);
      }
      // Workflow and command streams are not ticket changes: nothing published for them.
      expect(received.filter((r) => !r.event.ticket_path.startsWith('acme/'))).toEqual([]);
      expect(received).toHaveLength(2 + tickets.length);
    });

    it('carries the counter deltas a dashboard needs', () => {
      const closed = received.find((r) => r.event.event_type === 'TicketProgressed')!.event;
      expect(closed).toMatchObject({ ticket_path: 'acme/support/l1/t1', revision: 1, previous: { is_open: true }, ticket: { state: 'done', is_open: false } });
      expect(closed.counter_deltas).toEqual(expect.arrayContaining([{ dimension: 'all', key: '*', open: -1, closed: 1 }]));
      const deleted = received.find((r) => r.event.event_type === 'TicketDeleted')!.event;
      expect(deleted).toMatchObject({ ticket: null, counter_deltas: expect.arrayContaining([{ dimension: 'all', key: '*', open: -1, closed: 0 }]) });
    });

    it('reports the publisher on /health and /metrics', async () => {
      const health = (await (await fetch(`${sut.baseUrl}/health`)).json()) as { status: string; details: Record<string, any> };
      expect(health.status).toBe('ok');
      expect(health.details.integration_events).toMatchObject({ status: 'up', running: true, pending: 0, publish_error: null, stalled: false });
      const metrics = await (await fetch(`${sut.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^integration_events_published_total [1-9]\d*$/m);
      expect(metrics).toMatch(/^integration_events_lag_events 0$/m);
      expect(metrics).toMatch(/^projection_events_applied_total\{projection="integration-events",outcome="applied"\} \d+$/m);
    });
  });

  describe('across a restart', () => {
    it('publishes what was appended while it was down, losing nothing', async () => {
      await sut.stop();
      const key = { space_name: 'acme', subpath: 'tickets', shortname: 'while_down' };
      const created = await sut.append('ticket-acme/tickets/while_down', { type: 'TicketCreated', data: createdData(key) });
      await sut.start();
      const locked = await sut.append('ticket-acme/tickets/while_down', {
        type: 'TicketLocked',
        data: { holder: 'bob', expires_at: new Date(Date.now() + 60_000).toISOString(), at: new Date().toISOString() },
      });
      await eventually(() => ids().has(created.id) && ids().has(locked.id), 30_000);
      const lockedEvent = received.find((r) => r.event.event_id === locked.id)!.event;
      // The restarted publisher folded the ticket from the store: it still knows the ticket.
      expect(lockedEvent).toMatchObject({ revision: 1, previous: { state: 'new' }, ticket: { state: 'new' }, counter_deltas: [] });
      const checkpoint = await eventually(async () => {
        const position = await checkpoints().load(integrationEventsCheckpoint(sut.config.PROJECTION_NAME));
        return position === locked.position ? position : null;
      });
      expect(checkpoint).toBe(locked.position);
    });
  });
});
