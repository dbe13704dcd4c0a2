import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@tickets/config';
import { SERVICES } from './policies';
import { composeConfig, installTools, ROOT } from './tools';

/**
 * deploy/compose.yaml and its PostgreSQL override, loaded by compose-go (the loader of Docker Compose v2:
 * merge, interpolation, Compose Specification schema, consistency) as `docker compose config` would.
 */

const COMPOSE = path.join(ROOT, 'deploy/compose.yaml');
const POSTGRES = path.join(ROOT, 'deploy/compose.postgres.yaml');
const ENV = { JWT_SECRET: 'a-compose-secret-of-32-characters' };

type Json = Record<string, any>;

function load(files: string[], env: Record<string, string> = ENV): Json {
  const result = composeConfig(files, env);
  if (result.status !== 0) throw new Error(`compose-config failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Json;
}

beforeAll(() => installTools(), 15 * 60_000);

describe('deploy/compose.yaml', () => {
  let project: Json;
  beforeAll(() => {
    project = load([COMPOSE]);
  });

  it('loads as a valid Compose project', () => {
    expect(Object.keys(project.services).sort()).toEqual(
      [
        'eventstoredb',
        'gateway',
        'kafka',
        'kafka-topics',
        'mongodb',
        'projection-service',
        'ticket-service',
      ].sort(),
    );
  });

  it('gives every service an environment the config schema accepts, with EventStoreDB', () => {
    for (const { name } of SERVICES) {
      const config = loadConfig(project.services[name].environment);
      expect(config).toMatchObject({
        EVENT_STORE: 'eventstoredb',
        NODE_ENV: 'production',
        BIND_HOST: '0.0.0.0',
      });
    }
  });

  it('builds each service from its Dockerfile target and publishes the gateway on GATEWAY_PORT', () => {
    for (const { name } of SERVICES) {
      expect(project.services[name].build).toMatchObject({
        dockerfile: 'deploy/docker/Dockerfile',
        target: name,
      });
    }
    const gateway = project.services.gateway;
    expect(gateway.ports).toEqual([
      expect.objectContaining({ target: Number(gateway.environment.GATEWAY_PORT), published: '8080' }),
    ]);
  });

  it('refuses to start without JWT_SECRET', () => {
    const result = composeConfig([COMPOSE], {});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/required variable JWT_SECRET is missing/);
  });
});

describe('deploy/compose.yaml with deploy/compose.postgres.yaml', () => {
  let project: Json;
  beforeAll(() => {
    project = load([COMPOSE, POSTGRES]);
  });

  it('runs PostgreSQL instead of EventStoreDB', () => {
    expect(project.services.postgres).toBeDefined();
    expect(project.services.eventstoredb).toBeUndefined();
    for (const [name, service] of Object.entries<Json>(project.services)) {
      expect([name, Object.keys(service.depends_on ?? {})]).not.toEqual([
        name,
        expect.arrayContaining(['eventstoredb']),
      ]);
    }
  });

  it('gives every service an environment the config schema accepts, with PostgreSQL', () => {
    for (const { name } of SERVICES) {
      const environment = project.services[name].environment;
      expect(environment.EVENTSTORE_CONNECTION_STRING).toBeUndefined();
      expect(loadConfig(environment)).toMatchObject({
        EVENT_STORE: 'postgres',
        POSTGRES_URL: expect.stringContaining('@postgres:5432/'),
      });
      expect(project.services[name].depends_on.postgres).toMatchObject({ condition: 'service_healthy' });
    }
  });
});

describe('the Compose loader rejects', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('an unknown key (schema)', () => {
    const file = write(
      'typo.yaml',
      'services:\n  gateway:\n    image: tickets/gateway:1\n    depend_on: [kafka]\n',
    );
    const result = composeConfig([file]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/services\.gateway\.depend_on/);
  });

  it('a dependency on a service that does not exist (consistency)', () => {
    const file = write(
      'dangling.yaml',
      'services:\n  gateway:\n    image: tickets/gateway:1\n    depends_on:\n      kafka:\n        condition: service_healthy\n',
    );
    const result = composeConfig([file]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/depends on undefined service "?kafka"?/);
  });

  it('a value of the wrong type', () => {
    const file = write('type.yaml', 'services:\n  gateway:\n    image: tickets/gateway:1\n    ports: 8080\n');
    const result = composeConfig([file]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/ports/);
  });
});
