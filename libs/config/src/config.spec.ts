import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configSchema, DEVELOPMENT_JWT_SECRET, loadConfig } from './config';

describe('configuration', () => {
  it('gives working defaults for local development', () => {
    const config = loadConfig({});
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
    expect(config.GATEWAY_PORT).toBe(8080);
  });

  it('refuses to start in production without a JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required in production/);
  });

  it('names every invalid variable at once', () => {
    const attempt = () => loadConfig({ GATEWAY_PORT: 'eighty', LOG_LEVEL: 'chatty' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/GATEWAY_PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*GATEWAY_PORT/);
  });

  it('requires a connection string for the EventStoreDB adapter', () => {
    expect(() => loadConfig({ EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_CONNECTION_STRING/);
  });

  it('is documented variable by variable in docs/configuration.md', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/configuration.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    const declared = Object.keys(configSchema.innerType().shape);
    expect([...documented].sort()).toEqual([...declared].sort());
  });
});
