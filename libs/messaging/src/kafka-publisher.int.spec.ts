import { randomBytes } from 'node:crypto';
import { ClientKafka } from '@nestjs/microservices';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { loadConfig } from '@tickets/config';
import { topicNames } from '@tickets/contracts';
import { kafkaOptions, publisherBatching } from './kafka-options';
import { KafkaPublisher } from './kafka-publisher';

/**
 * The batching publisher against the real local Kafka, on a commands topic of its own (topic prefix
 * `publisher-<id>.`, removed afterwards): many concurrent publishes are acknowledged, arrive once each, share
 * produce requests, and keep the order of each key.
 */
jest.setTimeout(120_000);

describe('the Kafka publisher on a real broker', () => {
  const id = randomBytes(5).toString('hex');
  const config = { ...loadConfig(), KAFKA_TOPIC_PREFIX: `publisher-${id}.` };
  const topic = topicNames(config.KAFKA_TOPIC_PREFIX).commands;
  const kafka = new Kafka({
    clientId: `publisher-test-${id}`,
    brokers: [...config.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin;
  let client: ClientKafka;
  let publisher: KafkaPublisher;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    client = new ClientKafka(kafkaOptions(config, `publisher-test-${id}`).options ?? {});
    publisher = new KafkaPublisher(client, publisherBatching(config));
    await publisher.onModuleInit();
  });

  afterAll(async () => {
    await publisher?.onApplicationShutdown();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('acknowledges 3,000 concurrent publishes in a few produce requests, each key in publish order', async () => {
    const producer = await client.connect();
    let produceRequests = 0;
    const stopCounting = producer.on(producer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Produce') produceRequests++;
    });
    const keys = Array.from({ length: 30 }, (_, k) => `acme/tickets/t${k}`);
    const count = 3000;

    await Promise.all(
      Array.from({ length: count }, (_, n) =>
        publisher.publish(
          topic,
          keys[n % keys.length],
          { key: keys[n % keys.length], seq: n },
          { 'x-seq': String(n) },
        ),
      ),
    );
    stopCounting();
    expect(produceRequests).toBeGreaterThan(0);
    expect(produceRequests).toBeLessThan(count / 10);

    const received = new Map<string, { key: string; seq: number; partition: number; header: string }[]>();
    let total = 0;
    const consumer = kafka.consumer({ groupId: `publisher-test-${id}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const value = JSON.parse(String(message.value)) as { key: string; seq: number };
          // Grouped by the message key; the value names the key it was published with.
          const list = received.get(String(message.key)) ?? [];
          list.push({
            key: value.key,
            seq: value.seq,
            partition,
            header: String(message.headers?.['x-seq']),
          });
          received.set(String(message.key), list);
          if (++total === count) resolve();
        },
      });
    });
    await all;
    await consumer.disconnect();

    expect(total).toBe(count);
    for (const [k, key] of keys.entries()) {
      const messages = received.get(key) ?? [];
      const expected = Array.from({ length: count / keys.length }, (_, i) => i * keys.length + k);
      expect(messages.every((m) => m.key === key)).toBe(true);
      expect(messages.map((m) => m.seq)).toEqual(expected);
      expect(messages.map((m) => m.header)).toEqual(expected.map(String));
      expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
    }
  });
});
