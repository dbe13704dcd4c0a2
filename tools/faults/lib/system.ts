import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, ServiceProcess } from '@tickets/testing';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../../..');

/** The servers a fault can restart (names of `deploy/local/infra.sh restart <server>`). */
export type ServerName = 'kafka' | 'postgres' | 'mongod';
/** The services a fault can kill. */
export type ServiceName = 'gateway' | 'ticket-service' | 'projection-service';

/** Ports of the campaign's own servers: far from the defaults, so a developer's running system is untouched. */
const SERVER_PORTS = {
  LOCAL_KAFKA_PORT: '19092',
  LOCAL_KAFKA_CONTROLLER_PORT: '19093',
  LOCAL_MONGO_PORT: '27117',
  LOCAL_PG_PORT: '15433',
} as const;

/**
 * The system under fault: its own Kafka, PostgreSQL and mongod (deploy/local/infra.sh with `LOCAL_DIR`
 * `.local/faults` and ports of their own, so restarting them disturbs nothing else on the machine) and the
 * three services from dist/, each a child process that can be killed with SIGKILL and started again.
 */
export class SystemUnderFault {
  readonly localDir = resolve(ROOT, '.local/faults');
  readonly ports: Record<ServiceName, number> = { gateway: 0, 'ticket-service': 0, 'projection-service': 0 };
  private readonly processes = new Map<ServiceName, ServiceProcess>();

  /** Environment of the services: connection settings of the campaign's servers, ports, quiet logs. */
  serviceEnv(): Record<string, string> {
    return {
      KAFKA_BROKERS: `127.0.0.1:${SERVER_PORTS.LOCAL_KAFKA_PORT}`,
      MONGODB_URI: `mongodb://127.0.0.1:${SERVER_PORTS.LOCAL_MONGO_PORT}/tickets?replicaSet=rs0`,
      POSTGRES_URL: `postgres://tickets:tickets@127.0.0.1:${SERVER_PORTS.LOCAL_PG_PORT}/tickets`,
      GATEWAY_PORT: String(this.ports.gateway),
      TICKET_SERVICE_PORT: String(this.ports['ticket-service']),
      PROJECTION_SERVICE_PORT: String(this.ports['projection-service']),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    };
  }

  /** `infra.sh <args>` on the campaign's servers; resolves with its output. @throws when it exits non-zero. */
  async infra(...args: string[]): Promise<string> {
    mkdirSync(this.localDir, { recursive: true });
    const { stdout, stderr } = await run('bash', [resolve(ROOT, 'deploy/local/infra.sh'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_DIR: this.localDir, ...SERVER_PORTS },
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  }

  /** Starts the servers (after a reset: every campaign starts from empty stores) and the three services. */
  async start(): Promise<void> {
    await this.infra('reset');
    await this.infra('up');
    for (const name of Object.keys(this.ports) as ServiceName[]) this.ports[name] = await freePort();
    for (const name of ['ticket-service', 'projection-service', 'gateway'] as const)
      await this.startService(name);
  }

  /** Starts `name` and resolves once its `/health` answers 200. */
  async startService(name: ServiceName): Promise<void> {
    const service = new ServiceProcess(name, this.serviceEnv());
    this.processes.set(name, service);
    await service.start(this.ports[name], 120_000);
  }

  /** A crash: SIGKILL, then (as a supervisor would) a new process; resolves once it is healthy again. */
  async killAndRestart(name: ServiceName): Promise<void> {
    await this.processes.get(name)?.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await this.startService(name);
  }

  /** Stops every service (SIGTERM) and then the servers. */
  async stop(): Promise<void> {
    for (const service of this.processes.values()) await service.stop('SIGTERM').catch(() => undefined);
    await this.infra('down').catch(() => undefined);
  }

  /** Base URL of the gateway. */
  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }
}
