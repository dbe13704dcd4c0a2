/**
 * Global set-up of the `integration` and `e2e` jest projects: makes sure the local servers (Kafka, mongod,
 * PostgreSQL) run, by calling `deploy/local/infra.sh up`, which is idempotent and returns at once when they
 * already do. Tests never substitute an in-memory fake for these servers.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, '../../..');
  execFileSync('bash', [path.join(root, 'deploy/local/infra.sh'), 'up'], { cwd: root, stdio: 'inherit' });
};
