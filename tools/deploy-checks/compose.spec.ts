import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOPICS } from '@tickets/contracts';
import {
  checkComposeImages,
  checkComposeStartOrder,
  checkComposeVariables,
  interpolatedVariables,
  topicsCreatedByCompose,
} from './policies';
import { configVariableNames, parseComposeFile, ROOT } from './tools';

const read = (file: string) => parseComposeFile(fs.readFileSync(path.join(ROOT, file), 'utf8'));
const known = configVariableNames();

describe('deploy/compose.yaml', () => {
  const compose = read('deploy/compose.yaml');

  it('parses, with the three services and Kafka, EventStoreDB, MongoDB and topic creation', () => {
    expect(Object.keys(compose.services as object).sort()).toEqual(
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

  it('interpolates only variables of the config schema and gives the services only those', () => {
    expect(checkComposeVariables(compose, known)).toEqual([]);
  });

  it('starts services in order of health', () => {
    expect(checkComposeStartOrder(compose)).toEqual([]);
  });

  it('names every image with a tag', () => {
    expect(checkComposeImages(compose)).toEqual([]);
  });

  it('creates exactly the topics of the Kafka contract', () => {
    expect([...topicsCreatedByCompose(compose).keys()].sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('uses EventStoreDB by default, MongoDB as a replica set', () => {
    const env = (compose.services as any).gateway.environment;
    expect(env.EVENT_STORE).toBe('eventstoredb');
    expect(env.MONGODB_URI).toMatch(/replicaSet=/);
  });
});

describe('deploy/compose.postgres.yaml', () => {
  const override = read('deploy/compose.postgres.yaml');

  it('interpolates nothing unknown and sets only config variables', () => {
    expect(checkComposeVariables(override, known)).toEqual([]);
  });

  it('switches the three services to the PostgreSQL event store', () => {
    for (const name of ['gateway', 'ticket-service', 'projection-service']) {
      expect((override.services as any)[name].environment).toMatchObject({ EVENT_STORE: 'postgres' });
    }
  });

  it('starts services in order of health and names every image with a tag', () => {
    expect(checkComposeStartOrder(override)).toEqual([]);
    expect(checkComposeImages(override)).toEqual([]);
  });
});

describe('the compose rules reject', () => {
  const broken = parseComposeFile(`
services:
  gateway:
    image: tickets/gateway
    environment:
      GATEWAY_PORT: \${PORT_OF_GATEWAY:-8080}
      GATEWAY_LISTEN: 0.0.0.0
      ESCAPED: $$HOME
    depends_on: [kafka]
  projection-service:
    image: tickets/projection-service:latest
    depends_on:
      kafka:
        condition: service_healthy
  kafka:
    image: apache/kafka:4.1.1
`);

  it('a variable the config schema does not know, interpolated or set (but not an escaped $$)', () => {
    expect(checkComposeVariables(broken, known)).toEqual([
      'interpolates ${PORT_OF_GATEWAY}, which the config schema does not know',
      'service gateway: environment variable GATEWAY_LISTEN is not in the config schema',
      'service gateway: environment variable ESCAPED is not in the config schema',
    ]);
    expect(interpolatedVariables('$${HOME} ${A:-${B}} $C')).toEqual(new Set(['A', 'B', 'C']));
  });

  it('a start order without health conditions, and waiting on a service without health check', () => {
    expect(checkComposeStartOrder(broken)).toEqual([
      'service gateway: depends_on without conditions (start order not health-based)',
      'service projection-service: waits for kafka to be healthy, but kafka has no healthcheck',
    ]);
  });

  it('untagged and latest images', () => {
    expect(checkComposeImages(broken)).toEqual([
      'service gateway: image tickets/gateway has no tag',
      'service projection-service: image tickets/projection-service:latest uses the tag latest',
    ]);
  });
});
