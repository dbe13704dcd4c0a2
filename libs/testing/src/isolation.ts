import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig, type AppConfig } from '@tickets/config';
import type { ResourceKey } from '@tickets/domain';

/**
 * The loaded config with storage of its own for one integration test file, on the real local servers: an
 * event store schema `es_test_<id>`, a MongoDB database `tickets_test_<id>` and the Kafka topic prefix
 * `<tag>-<id>.`; `overrides` go on top. The caller removes what it created.
 */
export function isolatedConfig(tag: string, overrides: Partial<AppConfig> = {}): AppConfig & { readonly id: string } {
  const base = loadConfig();
  const id = randomBytes(5).toString('hex');
  const mongo = new URL(base.MONGODB_URI);
  mongo.pathname = `/tickets_test_${id}`;
  return {
    ...base,
    id,
    POSTGRES_SCHEMA: `es_test_${id}`,
    MONGODB_URI: mongo.toString(),
    KAFKA_TOPIC_PREFIX: `${tag}-${id}.`,
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/** The data of a `TicketCreated` for `key`, with the minimum the projections need (state `new`, open). */
export function ticketCreatedData(key: ResourceKey, overrides: Record<string, unknown> = {}) {
  return {
    ...key,
    uuid: randomUUID(),
    workflow_shortname: 'support',
    workflow_version: 1,
    state: 'new',
    is_open: true,
    is_active: true,
    tags: [] as string[],
    collaborators: {},
    owner_shortname: 'alice',
    created_at: new Date().toISOString(),
    ...overrides,
  };
}
