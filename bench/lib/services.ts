import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sleep } from './stats';

/**
 * The system under test: the three services, either already running (`npm start` in another terminal) or
 * started here the way libs/testing/src/e2e-global-setup.js does it (local servers up, then
 * `node -r ./tools/register-paths.js dist/tools/start.js`), and stopped again at the end.
 */
export interface Endpoints {
  readonly host: string;
  readonly gateway: number;
  readonly ticketService: number;
  readonly projectionService: number;
}

export function endpoints(): Endpoints {
  return {
    host: process.env['BIND_HOST'] || '127.0.0.1',
    gateway: Number(process.env['GATEWAY_PORT'] || 8080),
    ticketService: Number(process.env['TICKET_SERVICE_PORT'] || 8081),
    projectionService: Number(process.env['PROJECTION_SERVICE_PORT'] || 8082),
  };
}

export function url(e: Endpoints, port: number, p: string): string {
  return `http://${e.host}:${port}${p}`;
}

async function healthy(e: Endpoints, port: number): Promise<boolean> {
  try {
    const r = await fetch(url(e, port, '/health'), { signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}

export async function allHealthy(e: Endpoints): Promise<boolean> {
  const answers = await Promise.all(
    [e.gateway, e.ticketService, e.projectionService].map((p) => healthy(e, p)),
  );
  return answers.every(Boolean);
}

/** Services this run started (stopped by {@link stopServices}), or `null` when they were already up. */
export interface StartedServices {
  readonly child: ChildProcess;
  readonly log: string;
}

/** Whether something accepts TCP connections on `host:port` (within 2 s). */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Uses the running services if the gateway, ticket-service and projection-service all answer /health 200;
 * otherwise brings the local servers up (`deploy/local/infra.sh up`, idempotent) and starts the services
 * from dist/ (built by `npm run build`, part of `npm run bench`), waiting up to `timeoutMs`.
 */
export async function ensureServices(
  root: string,
  e: Endpoints,
  servers: readonly { host: string; port: number }[],
  log: (m: string) => void,
  timeoutMs = 120_000,
): Promise<StartedServices | null> {
  if (await allHealthy(e)) {
    log('services already running: using them');
    return null;
  }
  const reachable = await Promise.all(servers.map((s) => portOpen(s.host, s.port)));
  if (reachable.every(Boolean)) {
    log(
      'services not healthy; Kafka, MongoDB and PostgreSQL answer: starting the services (dist/tools/start.js)',
    );
  } else {
    log(
      'services not healthy: starting the local servers (deploy/local/infra.sh up) and the services (dist/tools/start.js)',
    );
    execFileSync('bash', [path.join(root, 'deploy/local/infra.sh'), 'up'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const logDir = path.join(root, 'bench', '.logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'services.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['-r', './tools/register-paths.js', 'dist/tools/start.js'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] || 'warn' },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await allHealthy(e)) {
      log(`services healthy (pid ${child.pid}, log ${path.relative(root, logFile)})`);
      return { child, log: logFile };
    }
    await sleep(500);
  }
  const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  await stopServices({ child, log: logFile });
  throw new Error(`services did not become healthy within ${timeoutMs} ms; log tail:\n${tail}`);
}

/** SIGTERM to the launcher this run started (it stops its three children), SIGKILL after 20 s. */
export async function stopServices(started: StartedServices | null): Promise<void> {
  if (!started || started.child.exitCode !== null) return;
  const { child } = started;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
