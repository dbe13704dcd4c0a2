import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '@tickets/config';

/**
 * `npm start`: runs the three services from dist/ in the foreground (the local servers are started first by
 * deploy/local/infra.sh), prefixes their log lines with the service name, waits until every `/health`
 * answers 200, restarts a service that exits (at most `MAX_RESTARTS` times a minute, then gives up and
 * stops all), and stops them all on Ctrl-C / SIGTERM.
 */
const root = resolve(__dirname, '..', '..');
const config = loadConfig();
const services = [
  { name: 'ticket-service', port: config.TICKET_SERVICE_PORT },
  { name: 'projection-service', port: config.PROJECTION_SERVICE_PORT },
  { name: 'gateway', port: config.GATEWAY_PORT },
] as const;
const READY_TIMEOUT_MS = 90_000;
const MAX_RESTARTS = 5;
const restarts = new Map<string, number[]>();

const children = new Map<string, ChildProcess>();
let stopping = false;

function launch(name: string): ChildProcess {
  const child = spawn(process.execPath, ['-r', './tools/register-paths.js', `dist/apps/${name}/src/main.js`], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    const recent = (restarts.get(name) ?? []).filter((at) => Date.now() - at < 60_000);
    if (recent.length >= MAX_RESTARTS) {
      process.stderr.write(`[start] ${name} exited (code ${code}, signal ${signal}) ${MAX_RESTARTS} times in a minute; stopping all\n`);
      void stop(1);
      return;
    }
    restarts.set(name, [...recent, Date.now()]);
    process.stderr.write(`[start] ${name} exited (code ${code}, signal ${signal}); restarting it\n`);
    setTimeout(() => {
      if (!stopping) children.set(name, launch(name));
    }, 1000);
  });
  return child;
}

async function waitHealthy(name: string, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(`http://${config.BIND_HOST}:${port}/health`);
      if (response.ok) return;
      last = `HTTP ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${name} not healthy after ${READY_TIMEOUT_MS} ms (${last})`);
}

async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((done) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(kill);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const { name } of services) children.set(name, launch(name));
  await Promise.all(services.map(({ name, port }) => waitHealthy(name, port)));
  process.stdout.write(
    `\n[start] all services healthy: gateway http://${config.BIND_HOST}:${config.GATEWAY_PORT} ` +
      `(OpenAPI UI at /docs). Get a token with: npm run -s token -- alice agent. Ctrl-C stops.\n` +
      `[start] ops dashboard: http://${config.BIND_HOST}:${config.GATEWAY_PORT}/dashboard (sign in with the token)\n\n`,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`[start] ${error.message}\n`);
  void stop(1);
});
