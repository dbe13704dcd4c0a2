#!/usr/bin/env node
// Used by deploy/local/infra.sh: waits until the local Kafka broker answers, then creates the
// platform's topics if they are missing. Exit code 0 = ready and topics present.
//
// Env: KAFKA_BROKERS (127.0.0.1:9092), KAFKA_READY_TIMEOUT_S (120), KAFKA_PID (fail fast when the
// broker process dies), KAFKA_COMMAND_PARTITIONS (6), KAFKA_RESULTS_PARTITIONS (6),
// KAFKA_DLQ_PARTITIONS (1), KAFKA_EVENTS_PARTITIONS (6).
'use strict';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { Kafka, logLevel } = require('kafkajs');

const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const timeoutMs = Number(process.env.KAFKA_READY_TIMEOUT_S || 120) * 1000;
const pid = Number(process.env.KAFKA_PID || 0);
const int = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
};

const topics = [
  { topic: 'tickets.commands.v1', numPartitions: int('KAFKA_COMMAND_PARTITIONS', 6) },
  { topic: 'tickets.command-results.v1', numPartitions: int('KAFKA_RESULTS_PARTITIONS', 6) },
  { topic: 'tickets.commands.dlq.v1', numPartitions: int('KAFKA_DLQ_PARTITIONS', 1) },
  { topic: 'tickets.events.v1', numPartitions: int('KAFKA_EVENTS_PARTITIONS', 6) },
];

const { sleep, alive } = require('../lib/process-wait');

async function waitReady(deadline) {
  let lastErr;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`broker process ${pid} exited during start-up`);
    const kafka = new Kafka({
      clientId: 'local-infra',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const names = await admin.listTopics();
      return { kafka, admin, names };
    } catch (e) {
      lastErr = e;
      await admin.disconnect().catch(() => {});
      await sleep(300);
    }
  }
  throw new Error(
    `broker ${brokers.join(',')} did not answer in time: ${lastErr ? lastErr.message : 'timeout'}`,
  );
}

async function main() {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const { kafka, admin, names } = await waitReady(deadline);
  try {
    const existing = new Set(names);
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        timeout: 30000,
        topics: missing.map((t) => ({ ...t, replicationFactor: 1 })),
      });
      for (const t of missing)
        console.error(`[infra] kafka: created topic ${t.topic} (${t.numPartitions} partitions)`);
    }
    const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
    for (const t of topics) {
      const m = meta.topics.find((x) => x.name === t.topic);
      if (!m) throw new Error(`topic ${t.topic} missing after creation`);
      if (m.partitions.length !== t.numPartitions) {
        console.error(
          `[infra] WARN: kafka: topic ${t.topic} has ${m.partitions.length} partitions, configured ${t.numPartitions} ` +
            '(existing topics are not changed; `infra.sh reset` recreates them)',
        );
      }
      const leaderless = m.partitions.filter((p) => p.leader < 0);
      if (leaderless.length)
        throw new Error(`topic ${t.topic}: ${leaderless.length} partitions without leader`);
    }
    // Warm up the group coordinator: the first FindCoordinator creates __consumer_offsets, and the
    // coordinator answers "loading"/"not available" for a moment after. Doing it here keeps that
    // out of the first consumer's start-up (and out of tests with short timeouts).
    while (true) {
      try {
        await admin.fetchOffsets({ groupId: 'local-infra-warmup', topics: [topics[0].topic] });
        break;
      } catch (e) {
        if (Date.now() >= deadline) throw new Error(`group coordinator not available: ${e.message}`);
        await sleep(300);
      }
    }
    // Same for the transaction coordinator, which serves InitProducerId to idempotent producers.
    while (true) {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2 } });
      try {
        await producer.connect();
        break;
      } catch (e) {
        if (Date.now() >= deadline) throw new Error(`transaction coordinator not available: ${e.message}`);
        await sleep(300);
      } finally {
        await producer.disconnect().catch(() => {});
      }
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[infra] kafka: ${e && e.message ? e.message : e}`);
    process.exit(1);
  },
);
