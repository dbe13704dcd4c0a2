#!/usr/bin/env node
// Used by deploy/local/infra.sh: waits until a MongoDB `ping` succeeds against the local FerretDB.
// Env: MONGODB_URI (mongodb://127.0.0.1:27017/tickets), MONGO_READY_TIMEOUT_S (120),
// FERRETDB_PID (fail fast when the server process dies).
'use strict';

const { MongoClient } = require('mongodb');

const uri = process.env.MONGODB_URI || 'mongodb://127.0.0.1:27017/tickets';
const timeoutMs = Number(process.env.MONGO_READY_TIMEOUT_S || 120) * 1000;
const pid = Number(process.env.FERRETDB_PID || 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const alive = (p) => {
  if (!p) return true;
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
};

async function main() {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`server process ${pid} exited during start-up`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
    try {
      await client.connect();
      await client.db().command({ ping: 1 });
      return;
    } catch (e) {
      lastErr = e;
      await sleep(300);
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`no answer to ping at ${uri}: ${lastErr ? lastErr.message : 'timeout'}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[infra] ferretdb: ${e && e.message ? e.message : e}`);
    process.exit(1);
  },
);
