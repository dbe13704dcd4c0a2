import { z } from 'zod';

/**
 * The one place that reads `process.env` (STYLE.md: fail-fast typed config, one config module).
 * Every variable the services, deploy/ and k8s/ use is declared here; docs/configuration.md documents them
 * in one table. `loadConfig` throws `ConfigError` listing every invalid variable, so a service refuses to
 * start with a clear message instead of failing later.
 */
const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    /** Comma-separated `host:port` list of Kafka bootstrap brokers. */
    KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
    KAFKA_CLIENT_ID: z.string().min(1).default('tickets'),
    /** Prefix of the four topic names, to share a cluster between environments; empty = the contract's names. */
    KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
    /** Consumer group of ticket-service (all replicas share it). */
    KAFKA_COMMANDS_GROUP_ID: z.string().min(1).default('ticket-service'),
    /** Partitions of one ticket-service replica consumed in parallel (kafkajs `partitionsConsumedConcurrently`). */
    KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: positiveInt.default(6),
    /** How long a publish waits for others to share its produce request, in ms (librdkafka's `linger.ms`). */
    KAFKA_PRODUCER_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
    /** Most messages in one produce request of a publisher; a full batch leaves without lingering. */
    KAFKA_PRODUCER_BATCH_MAX: positiveInt.default(500),
    /** Most bytes in one produce request, below the broker's `message.max.bytes` (1 MiB by default). */
    KAFKA_PRODUCER_BATCH_MAX_BYTES: positiveInt.default(524288),
    /** Most messages waiting for the broker per publisher; beyond it a publish fails at once (gateway: 503). */
    KAFKA_PRODUCER_QUEUE_MAX: positiveInt.default(20000),
    /**
     * Session time-out of ticket-service's commands consumer, in ms: how long the group waits for a replica that
     * died without leaving (kill -9) before its partitions go to another. Within the broker's
     * `group.min/max.session.timeout.ms` (6000-1800000 by default).
     */
    KAFKA_COMMANDS_SESSION_TIMEOUT_MS: positiveInt.default(6000),
    /** Heartbeat interval of that consumer, in ms (well below the session time-out; Kafka advises a third). */
    KAFKA_COMMANDS_HEARTBEAT_INTERVAL_MS: positiveInt.default(1000),

    /** Which event store adapter to use. */
    EVENT_STORE: z.enum(['postgres', 'eventstoredb']).default('postgres'),
    POSTGRES_URL: z.string().min(1).default('postgres://tickets:tickets@127.0.0.1:5433/tickets'),
    /** PostgreSQL schema holding the event store tables. */
    POSTGRES_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,53}$/).default('event_store'),
    /** e.g. `esdb://127.0.0.1:2113?tls=false`; required when EVENT_STORE=eventstoredb. */
    EVENTSTORE_CONNECTION_STRING: z.string().optional(),

    MONGODB_URI: z.string().min(1).default('mongodb://127.0.0.1:27017/tickets?replicaSet=rs0'),

    /** HS256 secret for bearer tokens; required in production. */
    JWT_SECRET: z.string().min(16).optional(),
    /** Lifetime of tokens issued by `npm run token`, in seconds. */
    JWT_TTL_SECONDS: positiveInt.default(86400),
    /** Longest lifetime (`exp` minus `iat`, or minus now) of a bearer token the gateway accepts, in seconds. */
    JWT_MAX_LIFETIME_S: positiveInt.default(7 * 86400),

    /** JWKS of an external identity provider; its RS256/ES256 tokens are accepted beside the HS256 ones. */
    AUTH_JWKS_URL: z.string().url().optional(),
    /** Required `iss` and `aud` of external tokens (required with AUTH_JWKS_URL). */
    AUTH_ISSUER: z.string().min(1).optional(),
    AUTH_AUDIENCE: z.string().min(1).optional(),
    /** Claims (dotted paths, e.g. `realm_access.roles`) of external tokens read as `sub`, `roles`, `groups`. */
    AUTH_CLAIM_SUB: z.string().min(1).default('sub'),
    AUTH_CLAIM_ROLES: z.string().min(1).default('roles'),
    AUTH_CLAIM_GROUPS: z.string().min(1).default('groups'),
    /** How long the gateway trusts a user's active/deleted status read for token verification, in ms. */
    USER_STATUS_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5000),
    /** Failed logins allowed per user and per client address within LOGIN_FAILURE_WINDOW_S, then 429. */
    LOGIN_MAX_FAILURES_PER_USER: positiveInt.default(5),
    LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt.default(20),
    LOGIN_FAILURE_WINDOW_S: positiveInt.default(900),
    /** Given once: the gateway creates the user BOOTSTRAP_ADMIN_SHORTNAME with the first ADMIN_ROLES role if absent. */
    BOOTSTRAP_ADMIN_PASSWORD: z.string().min(8).max(128).optional(),
    BOOTSTRAP_ADMIN_SHORTNAME: z.string().regex(/^[\p{L}\p{M}\p{N}_]{1,64}$/u).default('admin'),

    GATEWAY_PORT: port.default(8080),
    TICKET_SERVICE_PORT: port.default(8081),
    PROJECTION_SERVICE_PORT: port.default(8082),
    /** Address the HTTP listeners bind to. */
    BIND_HOST: z.string().default('127.0.0.1'),
    /**
     * Base URLs at which the gateway reaches ticket-service and projection-service over HTTP (the ops dashboard
     * shows their `/health`); default `http://<BIND_HOST or 127.0.0.1>:<port>`, as `npm start` runs them.
     */
    TICKET_SERVICE_URL: z.string().url().optional(),
    PROJECTION_SERVICE_URL: z.string().url().optional(),

    /** How long the gateway waits for a command's result before answering 504, in ms. */
    COMMAND_TIMEOUT_MS: positiveInt.default(10000),
    /** How long a read waits for the read model to reach the caller's last write, in ms. */
    READ_YOUR_WRITES_TIMEOUT_MS: positiveInt.default(3000),
    /** Comma-separated roles allowed to define workflows, payload schemas and groups. */
    ADMIN_ROLES: z.string().min(1).default('super_admin'),
    /** Default lock period, in seconds (TICKETS.md section 4, lock). */
    LOCK_PERIOD_SECONDS: positiveInt.default(300),
    /** Appends retried against fresh state after a revision conflict (ARCHITECTURE.md "Event store"). */
    APPEND_MAX_RETRIES: z.coerce.number().int().min(0).max(50).default(5),
    /**
     * Name of the projection checkpoint of the initial read model collections; a rebuild's generation `n` uses
     * `<PROJECTION_NAME>_v<n>` (recorded in `read_model_aliases`), the integration-event publisher
     * `<PROJECTION_NAME>.integration-events`.
     */
    PROJECTION_NAME: z.string().min(1).default('tickets'),
    /** `lag().stalled` (projection-service `/health` down) once events wait and none was processed for this long, in ms. */
    PROJECTION_STALL_AFTER_MS: positiveInt.default(30000),
    /**
     * How long the live read model generation (alias document in `read_model_aliases`) is cached, in ms: every
     * gateway replica and the projection-service follow a rebuild's switch within this time.
     */
    READ_MODEL_ALIAS_TTL_MS: positiveInt.default(1000),
    /** Whether the projection-service publishes the public ticket events on `tickets.events.v1`. */
    INTEGRATION_EVENTS_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.JWT_SECRET) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['JWT_SECRET'], message: 'is required in production' });
    }
    if (c.JWT_TTL_SECONDS > c.JWT_MAX_LIFETIME_S) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['JWT_TTL_SECONDS'], message: 'must not exceed JWT_MAX_LIFETIME_S' });
    }
    if (c.AUTH_JWKS_URL && (!c.AUTH_ISSUER || !c.AUTH_AUDIENCE)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['AUTH_JWKS_URL'], message: 'needs AUTH_ISSUER and AUTH_AUDIENCE' });
    }
    if (c.EVENT_STORE === 'eventstoredb' && !c.EVENTSTORE_CONNECTION_STRING) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['EVENTSTORE_CONNECTION_STRING'],
        message: 'is required when EVENT_STORE=eventstoredb',
      });
    }
  });

export type AppConfig = z.infer<typeof configSchema> & {
  /** `JWT_SECRET`, or a fixed development secret outside production. */
  readonly jwtSecret: string;
  readonly kafkaBrokers: readonly string[];
  readonly adminRoles: readonly string[];
};

/** Raised at start-up when the environment is invalid; the message lists each bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Development-only secret so `npm start` and `npm run token` work without set-up; refused in production. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-change-me';

/**
 * Parses and validates the environment.
 * @param env the variables to read (default `process.env`)
 * @throws ConfigError naming every invalid variable
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  return {
    ...c,
    jwtSecret: c.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    kafkaBrokers: list(c.KAFKA_BROKERS),
    adminRoles: list(c.ADMIN_ROLES),
  };
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
