import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mongoose';
import { Client } from 'pg';
import { topicNames } from '@tickets/contracts';
import { createEventStore } from '@tickets/event-store';
import { freePort, isolatedConfig, ServiceProcess } from '@tickets/testing';

/**
 * The three services from dist/ on free ports with storage of their own (event store schema, MongoDB
 * database, Kafka topic prefix) on the real local servers, so a test can stop and start one of them without
 * disturbing the system the other e2e specs share.
 */
export class IsolatedSystem {
  readonly config = isolatedConfig('dash');
  readonly topics = topicNames(this.config.KAFKA_TOPIC_PREFIX);
  readonly ports = { gateway: 0, ticket: 0, projection: 0 };
  readonly processes = new Map<'gateway' | 'ticket-service' | 'projection-service', ServiceProcess>();

  get url(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }

  /** Creates the topics and the event store schema, then starts ticket-service, projection-service and gateway. */
  async start(): Promise<void> {
    this.ports.gateway = await freePort();
    this.ports.ticket = await freePort();
    this.ports.projection = await freePort();
    const admin = this.kafkaAdmin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(this.topics).map((topic) => ({ topic, numPartitions: 1 })),
    });
    await admin.disconnect();
    const store = await createEventStore({
      kind: 'postgres',
      url: this.config.POSTGRES_URL,
      schema: this.config.POSTGRES_SCHEMA,
    });
    await store.close();
    await this.startService('ticket-service');
    await this.startService('projection-service');
    await this.startService('gateway');
  }

  /** Starts `service` (again) and resolves once its `/health` answers 200. */
  async startService(service: 'gateway' | 'ticket-service' | 'projection-service'): Promise<void> {
    const process = new ServiceProcess(service, this.env());
    this.processes.set(service, process);
    const port =
      service === 'gateway'
        ? this.ports.gateway
        : service === 'ticket-service'
          ? this.ports.ticket
          : this.ports.projection;
    // Generous: the test machines are shared and often loaded.
    await process.start(port, 180_000);
  }

  /** Stops `service` gracefully (SIGTERM). */
  async stopService(service: 'gateway' | 'ticket-service' | 'projection-service'): Promise<void> {
    await this.processes.get(service)?.stop('SIGTERM');
  }

  /** Stops every service and removes the topics, the schema and the database. */
  async stop(): Promise<void> {
    for (const service of ['gateway', 'projection-service', 'ticket-service'] as const)
      await this.stopService(service).catch(() => undefined);
    const admin = this.kafkaAdmin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await admin.disconnect();
    const pg = new Client({ connectionString: this.config.POSTGRES_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${this.config.POSTGRES_SCHEMA} CASCADE`);
    await pg.end();
    const mongo = await createConnection(this.config.MONGODB_URI).asPromise();
    await mongo.dropDatabase();
    await mongo.close();
  }

  private env(): Record<string, string> {
    return {
      KAFKA_TOPIC_PREFIX: this.config.KAFKA_TOPIC_PREFIX,
      POSTGRES_SCHEMA: this.config.POSTGRES_SCHEMA,
      MONGODB_URI: this.config.MONGODB_URI,
      KAFKA_COMMANDS_GROUP_ID: `ticket-service-${this.config.id}`,
      GATEWAY_PORT: String(this.ports.gateway),
      TICKET_SERVICE_PORT: String(this.ports.ticket),
      PROJECTION_SERVICE_PORT: String(this.ports.projection),
    };
  }

  private kafkaAdmin() {
    return new Kafka({
      clientId: 'dashboard-e2e',
      brokers: [...this.config.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    }).admin();
  }
}
