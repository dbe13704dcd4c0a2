#!/usr/bin/env node
// Smoke test of the local servers (deploy/local/infra.sh check): a Kafka produce/consume round
// trip with kafkajs, an insert/find/index through mongoose against mongod, and a write/read on
// PostgreSQL with pg. Touches only its own topic (local-infra.smoke.v1), MongoDB database
// (infra_smoke, dropped at the end) and a temporary PostgreSQL table.
//
// Env: KAFKA_BROKERS, MONGODB_URI, POSTGRES_URL (defaults = the local servers' defaults).
'use strict';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const crypto = require('node:crypto');
const { Kafka, logLevel } = require('kafkajs');
const mongoose = require('mongoose');
const { Client } = require('pg');

const KAFKA_BROKERS = process.env.KAFKA_BROKERS || '127.0.0.1:9092';
const MONGODB_URI = process.env.MONGODB_URI || 'mongodb://127.0.0.1:27017/tickets';
const POSTGRES_URL = process.env.POSTGRES_URL || 'postgres://tickets:tickets@127.0.0.1:5433/tickets';
const run = crypto.randomUUID();

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

async function kafkaRoundTrip() {
  const topic = 'local-infra.smoke.v1';
  const kafka = new Kafka({
    clientId: 'local-infra-smoke',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.ERROR,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics();
  for (const t of [
    'tickets.commands.v1',
    'tickets.command-results.v1',
    'tickets.commands.dlq.v1',
    'tickets.events.v1',
  ]) {
    if (!topics.includes(t)) throw new Error(`kafka: topic ${t} is missing`);
  }
  if (!topics.includes(topic)) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
  }
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: run, value: JSON.stringify({ run }) }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `local-infra-smoke-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = await withTimeout(
    new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.key && message.key.toString() === run) resolve(JSON.parse(message.value.toString()));
          },
        })
        .catch(reject);
    }),
    60000,
    'kafka consume',
  );
  await consumer.disconnect();
  const groupAdmin = kafka.admin();
  await groupAdmin.connect();
  await groupAdmin.deleteGroups([`local-infra-smoke-${run}`]).catch(() => {});
  await groupAdmin.disconnect();
  if (got.run !== run) throw new Error('kafka: consumed a different message');
  return `produced and consumed 1 message on ${topic}`;
}

async function mongoRoundTrip() {
  const url = new URL(MONGODB_URI);
  url.pathname = '/infra_smoke';
  const conn = await mongoose
    .createConnection(url.toString(), { serverSelectionTimeoutMS: 5000 })
    .asPromise();
  try {
    const Thing = conn.model(
      'Thing',
      new mongoose.Schema({ run: { type: String, index: true }, n: Number }),
      'things',
    );
    await Thing.init();
    await Thing.create([
      { run, n: 1 },
      { run, n: 2 },
    ]);
    const found = await Thing.find({ run }).sort({ n: 1 }).lean();
    if (found.length !== 2 || found[1].n !== 2)
      throw new Error(`mongo: expected 2 documents, got ${found.length}`);
    const updated = await Thing.findOneAndUpdate({ run, n: 1 }, { $inc: { n: 10 } }, { new: true }).lean();
    if (updated.n !== 11) throw new Error('mongo: findOneAndUpdate did not apply');
    const buildInfo = await conn.db.admin().command({ buildInfo: 1 });
    return `insert/find/update/index ok (server reports MongoDB ${buildInfo.version})`;
  } finally {
    await conn.dropDatabase().catch(() => {});
    await conn.close();
  }
}

async function pgRoundTrip() {
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query('CREATE TEMP TABLE infra_smoke (id text primary key, n int)');
    await client.query('INSERT INTO infra_smoke VALUES ($1, 42)', [run]);
    const { rows } = await client.query('SELECT n FROM infra_smoke WHERE id = $1', [run]);
    if (rows[0].n !== 42) throw new Error('pg: wrong value');
    const v = await client.query('SHOW server_version');
    const dbs = await client.query(
      "SELECT datname FROM pg_database WHERE datname IN ('tickets') ORDER BY 1",
    );
    if (dbs.rows.length !== 1) throw new Error('pg: database tickets expected');
    return `write/read ok (PostgreSQL ${v.rows[0].server_version}; database tickets)`;
  } finally {
    await client.end();
  }
}

async function main() {
  let failed = 0;
  for (const [name, fn] of [
    ['kafka', kafkaRoundTrip],
    ['mongodb', mongoRoundTrip],
    ['postgres', pgRoundTrip],
  ]) {
    const t0 = Date.now();
    try {
      const msg = await withTimeout(fn(), 90000, name);
      console.log(`ok   ${name.padEnd(9)} ${msg} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name.padEnd(9)} ${e && e.message ? e.message : e}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
