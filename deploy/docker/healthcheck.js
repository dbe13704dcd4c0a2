/**
 * Container health check (Dockerfile HEALTHCHECK): exits 0 when the service's `GET /health` answers 200
 * within 4 s, 1 otherwise. `/health` is 200 only when Kafka, the event store and MongoDB are reachable.
 *
 * Usage: node healthcheck.js PORT_VARIABLE   e.g. `node healthcheck.js GATEWAY_PORT`
 * The port comes from the same variable the service listens on (docs/configuration.md); the host is
 * `BIND_HOST` unless that is a wildcard address, then the loopback.
 */
const name = process.argv[2];
const port = name ? process.env[name] : undefined;
if (!port) {
  console.error(`healthcheck: ${name ?? 'PORT_VARIABLE'} is not set`);
  process.exit(1);
}
const bind = process.env.BIND_HOST;
const host = !bind || bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;

fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/health`, {
  signal: AbortSignal.timeout(4000),
})
  .then((response) => {
    if (!response.ok) console.error(`healthcheck: /health answered ${response.status}`);
    process.exit(response.ok ? 0 : 1);
  })
  .catch((error) => {
    console.error(`healthcheck: ${error.message}`);
    process.exit(1);
  });
