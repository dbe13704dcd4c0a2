import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { loadConfig } from '@tickets/config';
import { streamIds, topicNames, type CommandEnvelope } from '@tickets/contracts';
import { createEventStore, type EventStore } from '@tickets/event-store';
import { envelope, freePort, KafkaTestClient, ServiceProcess, SUPPORT_WORKFLOW, ADMIN } from '@tickets/testing';


/**
 * Exactly-once effect when ticket-service dies mid-way (SIGKILL) or is stopped under load (SIGTERM), against
 * real Kafka and PostgreSQL. The run is isolated: topics of its own (KAFKA_TOPIC_PREFIX), an event store
 * schema of its own, a consumer group of its own.
 */
describe('ticket-service killed and stopped under load', () => {
  const config = loadConfig();
  const prefix = `crash-${randomUUID().slice(0, 8)}.`;
  const schema = `crash_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const topics = topicNames(prefix);
  const kafka = new KafkaTestClient(prefix);
  const space = 'crash_space';
  const TICKETS = 150;
  let store: EventStore;
  let port: number;
  const env = () => ({
    KAFKA_TOPIC_PREFIX: prefix,
    POSTGRES_SCHEMA: schema,
    KAFKA_COMMANDS_GROUP_ID: `ticket-service-${prefix}`,
    TICKET_SERVICE_PORT: String(port),
  });

  beforeAll(async () => {
    const admin = new Kafka({ clientId: 'crash-admin', brokers: [...config.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
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
  });

  afterAll(async () => {
    await kafka.stop();
    await store.close();
    const admin = new Kafka({ clientId: 'crash-admin', brokers: [...config.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) });
    await admin.disconnect();
    const pg = new Client({ connectionString: config.POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  });

  it('gives every command exactly one effect and one consistent answer across a crash and a graceful stop', async () => {
    let service = new ServiceProcess('ticket-service', env());
    await service.start(port);

    const workflow = envelope('DefineWorkflow', { space_name: space, subpath: 'workflows', shortname: 'support' }, { mode: 'create', body: SUPPORT_WORKFLOW }, ADMIN);
    await kafka.publish(workflow);
    expect((await kafka.resultsFor(workflow.command_id))[0]?.status).toBe('succeeded');

    // Per ticket: create, then start (same key, so Kafka keeps them in order).
    const commands: CommandEnvelope[] = [];
    for (let i = 0; i < TICKETS; i++) {
      const key = { space_name: space, subpath: 'tickets', shortname: `t${i}` };
      commands.push(envelope('CreateTicket', key, { workflow_shortname: 'support' }));
      commands.push(envelope('ProgressTicket', key, { action: 'start' }));
    }
    const publishing = (async () => {
      for (const command of commands) await kafka.publish(command);
    })();

    const answered = () => new Set(kafka.results.map((r) => r.command_id)).size;
    const waitAnswered = async (n: number) => {
      const deadline = Date.now() + 60000;
      while (answered() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };

    await waitAnswered(commands.length / 4);
    expect(await service.stop('SIGKILL')).toBe('SIGKILL'); // a crash, mid-batch
    service = new ServiceProcess('ticket-service', env());
    await service.start(port);

    await waitAnswered(commands.length / 2);
    // Graceful: stops consuming, lets in-flight commands finish, closes connections, exits on its own.
    expect(['SIGTERM', 0]).toContain(await service.stop('SIGTERM'));
    service = new ServiceProcess('ticket-service', env());
    await service.start(port);

    await publishing;
    await waitAnswered(commands.length + 1);
    await service.stop('SIGTERM');

    // Every command answered, every answer a success, duplicates identical.
    for (const command of commands) {
      const results = kafka.results.filter((r) => r.command_id === command.command_id);
      expect(results.length).toBeGreaterThanOrEqual(1);
      expect(results[0].status).toBe('succeeded');
      for (const again of results.slice(1)) expect(again).toEqual(results[0]);
    }
    // Every ticket's stream holds exactly one creation and one transition.
    for (let i = 0; i < TICKETS; i++) {
      const events = await store.readStream(streamIds.ticket({ space_name: space, subpath: 'tickets', shortname: `t${i}` }));
      expect(events.map((e) => e.type)).toEqual(['TicketCreated', 'TicketProgressed']);
    }
  }, 180_000); // three service starts and 300 sequential publishes on a shared 2-core box
});
