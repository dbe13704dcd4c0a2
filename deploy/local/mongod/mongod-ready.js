#!/usr/bin/env node
// Used by deploy/local/infra.sh: waits until the local mongod answers, initiates its single-node replica set
// the first time (replSetInitiate with the one loopback member), then waits until that member is PRIMARY.
// Env: MONGODB_URI (a direct connection), MONGO_REPLSET (rs0), MONGO_MEMBER (127.0.0.1:27017),
// MONGO_READY_TIMEOUT_S (120), MONGOD_PID (fail fast when the server process dies).
'use strict';

const { MongoClient } = require('mongodb');

const uri = process.env.MONGODB_URI || 'mongodb://127.0.0.1:27017/?directConnection=true';
const replSet = process.env.MONGO_REPLSET || 'rs0';
const member = process.env.MONGO_MEMBER || '127.0.0.1:27017';
const timeoutMs = Number(process.env.MONGO_READY_TIMEOUT_S || 120) * 1000;
const pid = Number(process.env.MONGOD_PID || 0);
const { sleep, alive } = require('../lib/process-wait');

async function main() {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`server process ${pid} exited during start-up`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
    try {
      await client.connect();
      const admin = client.db('admin');
      const hello = await admin.command({ hello: 1 });
      if (hello.isWritablePrimary) return;
      if (!hello.setName) {
        // A new replica set: its one member is this server (a second caller's initiate fails harmlessly).
        await admin
          .command({ replSetInitiate: { _id: replSet, members: [{ _id: 0, host: member }] } })
          .catch((e) => {
            if (!/already initialized/i.test(String(e && e.message))) throw e;
          });
      }
      lastErr = new Error(`member not yet primary (${hello.setName ? 'set ' + hello.setName : 'no set'})`);
      await sleep(100);
    } catch (e) {
      lastErr = e;
      await sleep(200);
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`not primary at ${uri}: ${lastErr ? lastErr.message : 'timeout'}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[infra] mongod: ${e && e.message ? e.message : e}`);
    process.exit(1);
  },
);
