/**
 * Global set-up of the `e2e` jest project: the local servers (see global-setup.js), a fresh build, and the
 * three services. If all three already answer `/health` (e.g. `npm start` is running), the tests use that system; otherwise this starts one (`dist/tools/start.js`) and e2e-global-teardown.js stops it.
 */
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const infraUp = require('./global-setup');

const root = path.resolve(__dirname, '../../..');
const host = process.env.BIND_HOST || '127.0.0.1';
const ports = [
  process.env.GATEWAY_PORT || '8080',
  process.env.TICKET_SERVICE_PORT || '8081',
  process.env.PROJECTION_SERVICE_PORT || '8082',
];
const READY_TIMEOUT_MS = 120000;

async function healthy() {
  const answers = await Promise.all(
    ports.map((port) =>
      fetch(`http://${host}:${port}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  );
  return answers.every(Boolean);
}

/**
 * With `KAFKA_TOPIC_PREFIX` set (an isolated run beside another system on the same servers), the prefixed
 * topics are created here; deploy/local/infra.sh creates the unprefixed ones.
 */
async function ensurePrefixedTopics() {
  const prefix = process.env.KAFKA_TOPIC_PREFIX;
  if (!prefix) return;
  const { Kafka, logLevel } = require('kafkajs');
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
  const admin = new Kafka({ clientId: 'e2e-setup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const names = ['tickets.commands.v1', 'tickets.command-results.v1', 'tickets.commands.dlq.v1', 'tickets.events.v1'];
    await admin.createTopics({ waitForLeaders: true, topics: names.map((n) => ({ topic: prefix + n, numPartitions: 3 })) });
  } finally {
    await admin.disconnect();
  }
}

module.exports = async function e2eGlobalSetup() {
  await infraUp();
  await ensurePrefixedTopics();
  if (await healthy()) return;
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const logDir = path.join(root, '.local', 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const log = fs.openSync(path.join(logDir, 'e2e-services.log'), 'w');
  const child = spawn(process.execPath, ['-r', './tools/register-paths.js', 'dist/tools/start.js'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL || 'warn' },
    stdio: ['ignore', log, log],
    detached: true,
  });
  globalThis.__E2E_SERVICES__ = child;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await healthy()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = fs.readFileSync(path.join(logDir, 'e2e-services.log'), 'utf8').split('\n').slice(-40).join('\n');
  throw new Error(`services did not become healthy within ${READY_TIMEOUT_MS} ms; log tail:\n${tail}`);
};
