import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { loadConfig } from '@tickets/config';
import { streamIds, topicNames } from '@tickets/contracts';
import { createEventStore, type EventStore } from '@tickets/event-store';
import {
  ADMIN,
  envelope,
  freePort,
  KafkaTestClient,
  ServiceProcess,
  SUPPORT_WORKFLOW,
} from '@tickets/testing';

/**
 * Batch consumption of `tickets.commands.v1` (many commands per poll, tickets concurrently, one ticket's
 * commands in order), against real Kafka and PostgreSQL and a ticket-service of its own: topics, event store
 * schema and consumer group of this run only.
 */
describe('ticket-service consuming commands in batches', () => {
  const config = loadConfig();
  const prefix = `batch-${randomUUID().slice(0, 8)}.`;
  const schema = `batch_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const topics = topicNames(prefix);
  const kafka = new KafkaTestClient(prefix);
  const space = 'batch_space';
  const key = (shortname: string) => ({ space_name: space, subpath: 'tickets', shortname });
  const path = (shortname: string) => `${space}/tickets/${shortname}`;
  let store: EventStore;
  let port: number;
  let service: ServiceProcess;
  const env = () => ({
    KAFKA_TOPIC_PREFIX: prefix,
    POSTGRES_SCHEMA: schema,
    KAFKA_COMMANDS_GROUP_ID: `ticket-service-${prefix}`,
    TICKET_SERVICE_PORT: String(port),
  });
  const typesOf = async (shortname: string) =>
    (await store.readStream(streamIds.ticket(key(shortname)))).map((e) => e.type);
  const rawResultsFor = async (commandId: string, count: number) => {
    await kafka.resultsFor(commandId, count);
    return kafka.rawResults.filter((r) => r.command_id === commandId).map((r) => r.raw);
  };

  beforeAll(async () => {
    const admin = new Kafka({
      clientId: 'batch-admin',
      brokers: [...config.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.commands, numPartitions: 3 },
        { topic: topics.commandResults, numPartitions: 3 },
        { topic: topics.commandsDlq, numPartitions: 1 },
        { topic: topics.events, numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema });
    port = await freePort();
    await kafka.start();
    service = new ServiceProcess('ticket-service', env());
    await service.start(port);
    const workflow = envelope(
      'DefineWorkflow',
      { space_name: space, subpath: 'workflows', shortname: 'support' },
      { mode: 'create', body: SUPPORT_WORKFLOW },
      ADMIN,
    );
    await kafka.publish(workflow);
    expect((await kafka.resultsFor(workflow.command_id))[0]?.status).toBe('succeeded');
  });

  afterAll(async () => {
    await service?.stop('SIGTERM');
    await kafka.stop();
    await store.close();
    const admin = new Kafka({
      clientId: 'batch-admin',
      brokers: [...config.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) });
    await admin.disconnect();
    const pg = new Client({ connectionString: config.POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  describe('when one batch holds several commands for one ticket, between other tickets', () => {
    it('applies each ticket’s commands in message order', async () => {
      const batch = ['o1', 'o2', 'o3'].flatMap((shortname) => [
        envelope('CreateTicket', key(shortname), { workflow_shortname: 'support' }),
        envelope('ProgressTicket', key(shortname), { action: 'start' }),
        envelope('ProgressTicket', key(shortname), { action: 'resolve', resolution: 'fixed' }),
      ]);
      await kafka.publishBatch(batch);
      for (const command of batch) {
        const results = await kafka.resultsFor(command.command_id);
        expect(results).toHaveLength(1);
        expect(results[0].status).toBe('succeeded');
      }
      const last = kafka.results.find((r) => r.command_id === batch[2].command_id)!;
      expect(last.ticket).toMatchObject({ state: 'resolved', resolution_reason: 'fixed' });
      for (const shortname of ['o1', 'o2', 'o3']) {
        expect(await typesOf(shortname)).toEqual(['TicketCreated', 'TicketProgressed', 'TicketProgressed']);
      }
    });
  });

  describe('when a poison message sits in the middle of a batch', () => {
    it('dead-letters it, and answers its neighbours (same ticket and others) exactly once', async () => {
      const create = envelope('CreateTicket', key('p1'), { workflow_shortname: 'support' });
      const invalid = { ...envelope('CreateTicket', key('p1'), {}), command_id: randomUUID() };
      const start = envelope('ProgressTicket', key('p1'), { action: 'start' });
      const other = envelope('CreateTicket', key('p2'), { workflow_shortname: 'support' });
      await kafka.publishBatch([create, { key: path('p1'), raw: '{not json' }, invalid, start, other]);

      for (const command of [create, start, other]) {
        expect((await kafka.resultsFor(command.command_id))[0]?.status).toBe('succeeded');
      }
      expect((await kafka.resultsFor(invalid.command_id))[0]).toMatchObject({
        status: 'rejected',
        error: { code: 422 },
      });
      const deadline = Date.now() + 10000;
      while (kafka.deadLetters.filter((d) => d.key === path('p1')).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500)); // would let a duplicate arrive
      for (const command of [create, invalid, start, other]) {
        expect(kafka.results.filter((r) => r.command_id === command.command_id)).toHaveLength(1);
      }
      expect(kafka.deadLetters.filter((d) => d.key === path('p1'))).toHaveLength(2);
      expect(await typesOf('p1')).toEqual(['TicketCreated', 'TicketProgressed']);
      expect(await typesOf('p2')).toEqual(['TicketCreated']);
    });
  });

  describe('when a command is delivered twice in one batch and again in a later batch', () => {
    it('has one effect and answers with byte-identical results, refusals included', async () => {
      const create = envelope('CreateTicket', key('d1'), {
        workflow_shortname: 'support',
        payload: { content_type: 'json', body: { zeta: 1, alpha: { y: 2, b: 3 } } },
      });
      const refused = envelope('ProgressTicket', key('d1'), { action: 'resolve' }); // draft -> resolve: refused (300)
      await kafka.publishBatch([create, create, refused, refused]);
      const [firstCreate, againCreate] = await rawResultsFor(create.command_id, 2);
      const [firstRefusal, againRefusal] = await rawResultsFor(refused.command_id, 2);
      expect(JSON.parse(firstCreate)).toMatchObject({ status: 'succeeded' });
      expect(JSON.parse(firstRefusal)).toMatchObject({ status: 'rejected', error: { code: 300 } });
      expect(againCreate).toBe(firstCreate);
      expect(againRefusal).toBe(firstRefusal);

      // Later, once the ticket has moved on (the refused command would now pass): same bytes again.
      const start = envelope('ProgressTicket', key('d1'), { action: 'start' });
      await kafka.publish(start);
      await kafka.resultsFor(start.command_id);
      await kafka.publishBatch([create, refused]);
      expect((await rawResultsFor(create.command_id, 3))[2]).toBe(firstCreate);
      expect((await rawResultsFor(refused.command_id, 3))[2]).toBe(firstRefusal);
      expect(await typesOf('d1')).toEqual(['TicketCreated', 'TicketProgressed']);
    });
  });

  describe('when ticket-service is killed (kill -9) and another one starts', () => {
    it('resumes the group well within the old 30 s session time-out and answers the next command', async () => {
      expect(await service.stop('SIGKILL')).toBe('SIGKILL');
      service = new ServiceProcess('ticket-service', env());
      await service.start(port);
      const next = envelope('CreateTicket', key('after_kill'), { workflow_shortname: 'support' });
      await kafka.publish(next);
      // 15 s: with the consumer's former 30 s session time-out, the dead member would still hold partitions.
      expect((await kafka.resultsFor(next.command_id, 1, 15000))[0]?.status).toBe('succeeded');
    });
  });
});
