// Shared by the readiness scripts of deploy/local (kafka/kafka-ready.js, mongod/mongod-ready.js).
'use strict';

/** Resolves after `ms` milliseconds. */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` still runs (true when no pid is known: nothing to watch). */
const alive = (pid) => {
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

module.exports = { sleep, alive };
