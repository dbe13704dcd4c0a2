import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@tickets/contracts';

/**
 * `--fresh` on Kafka: when the services support `KAFKA_TOPIC_PREFIX`, the run gets topics of its own (the
 * contract's four names behind a prefix, partitions as deploy/local creates them) and a consumer group of its
 * own, so no earlier or concurrent traffic on the shared topics reaches the services under test.
 */
export const FRESH_PARTITIONS: Record<keyof typeof TOPICS, number> = {
  commands: 6,
  commandResults: 6,
  commandsDlq: 1,
  events: 6,
};

export function prefixedTopics(prefix: string): Record<keyof typeof TOPICS, string> {
  return {
    commands: prefix + TOPICS.commands,
    commandResults: prefix + TOPICS.commandResults,
    commandsDlq: prefix + TOPICS.commandsDlq,
    events: prefix + TOPICS.events,
  };
}

function admin(brokers: readonly string[]) {
  return new Kafka({ clientId: 'bench-fresh', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
}

export async function createTopics(brokers: readonly string[], prefix: string): Promise<void> {
  const a = admin(brokers);
  await a.connect();
  try {
    const names = prefixedTopics(prefix);
    await a.createTopics({
      waitForLeaders: true,
      topics: (Object.keys(names) as (keyof typeof TOPICS)[]).map((k) => ({
        topic: names[k],
        numPartitions: FRESH_PARTITIONS[k],
        replicationFactor: 1,
      })),
    });
  } finally {
    await a.disconnect();
  }
}

export async function deleteTopics(
  brokers: readonly string[],
  prefix: string,
  groups: readonly string[],
): Promise<void> {
  const a = admin(brokers);
  await a.connect().catch(() => undefined);
  try {
    await a.deleteGroups([...groups]).catch(() => undefined);
    await a.deleteTopics({ topics: Object.values(prefixedTopics(prefix)) }).catch(() => undefined);
  } finally {
    await a.disconnect().catch(() => undefined);
  }
}
