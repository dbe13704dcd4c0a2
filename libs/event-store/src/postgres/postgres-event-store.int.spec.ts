import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { collect, contractEvent, describeEventStoreContract, sleep, waitFor } from '../event-store.contract';
import { DuplicateEventIdError } from '../event-store.errors';
import { createEventStore } from '../index';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';

/** The local PostgreSQL of deploy/local (infra.sh up); each run works in fresh schemas it drops afterwards. */
const connectionString = process.env.POSTGRES_URL ?? 'postgres://tickets:tickets@127.0.0.1:5433/tickets';
const freshSchema = () => `es_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function openStore(
  schema: string,
  options: Partial<PostgresEventStoreOptions> = {},
): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({ connectionString, schema, ...options });
  await store.migrate();
  return store;
}

describeEventStoreContract('PostgresEventStore (contract)', async () => {
  const schema = freshSchema();
  const store = await openStore(schema, { poolMax: 12 });
  return {
    store,
    openWithSlowCommits: (delayMs) =>
      openStore(schema, { testHooks: { beforeCommit: ({ stream_id }) => sleep(delayMs(stream_id)) } }),
    dispose: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describe('PostgresEventStore', () => {
  const schema = freshSchema();
  let store: PostgresEventStore;
  const others: PostgresEventStore[] = [];
  const track = (opened: PostgresEventStore) => (others.push(opened), opened);

  beforeAll(async () => {
    store = await openStore(schema);
  });
  afterAll(async () => {
    await Promise.all(others.map((other) => other.close()));
    await store.close();
    await dropSchema(schema);
  });

  describe('migrate', () => {
    it('is idempotent, also when run concurrently', async () => {
      const again = track(new PostgresEventStore({ connectionString, schema }));
      await Promise.all([again.migrate(), again.migrate(), store.migrate()]);
      await expect(again.ping()).resolves.toBeUndefined();
    });

    it('refuses a schema name it cannot quote safely', () => {
      expect(() => new PostgresEventStore({ connectionString, schema: 'Robert"; DROP' })).toThrow(RangeError);
    });
  });

  describe('when a transaction holding a lower position commits after a later writer', () => {
    it('neither delivers the higher position first nor skips the lower one', async () => {
      const head = await store.headPosition();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let held: bigint | undefined;
      const slow = track(
        await openStore(schema, {
          testHooks: {
            beforeCommit: async ({ position }) => {
              held = position;
              await gate;
            },
          },
        }),
      );
      const seen = collect(store, head, () => true);
      const [low, high] = [contractEvent('LowPosition'), contractEvent('HighPosition')];

      // The slow writer has written its event and holds its position, but has not committed.
      const lowAppend = slow.append(`gap-low-${randomUUID()}`, [low], 'no_stream');
      await waitFor(() => held !== undefined, 'the slow writer to allocate its position');
      // A second writer now tries to append (and would commit first, given a naive sequence).
      let highDone = false;
      const highAppend = store.append(`gap-high-${randomUUID()}`, [high], 'no_stream').then((result) => {
        highDone = true;
        return result;
      });
      try {
        await sleep(500);
        expect(highDone).toBe(false); // it waits behind the position counter's lock
        expect(seen.events).toEqual([]);
        expect(await store.readAll({ after: head })).toEqual([]);
      } finally {
        release(); // never leave the slow writer's transaction open, even when an expectation fails
      }
      const [lowResult, highResult] = await Promise.all([lowAppend, highAppend]);
      await waitFor(() => seen.events.length === 2, 'both events');
      await sleep(100);
      await seen.subscription.stop();

      expect(lowResult.position).toBe(held);
      expect(highResult.position).toBe(lowResult.position + 1n);
      expect(seen.events.map((event) => event.id)).toEqual([low.id, high.id]);
      expect(seen.events.map((event) => event.position)).toEqual([lowResult.position, highResult.position]);
    }, 20_000);

    it('leaves no hole when that transaction rolls back: the next append takes the same position', async () => {
      const head = (await store.headPosition()) ?? 0n;
      const failing = track(
        await openStore(schema, {
          testHooks: {
            beforeCommit: async () => {
              throw new Error('crash before commit');
            },
          },
        }),
      );
      await expect(
        failing.append(`rollback-${randomUUID()}`, [contractEvent()], 'no_stream'),
      ).rejects.toThrow('crash before commit');
      const next = await store.append(`after-rollback-${randomUUID()}`, [contractEvent()], 'no_stream');
      expect(next.position).toBe(head + 1n);
    });
  });

  describe('live subscriptions', () => {
    it('are woken by NOTIFY, well before the fallback poll', async () => {
      const sleepy = track(await openStore(schema, { pollIntervalMs: 60_000 }));
      const head = await sleepy.headPosition();
      const streamId = `notify-${randomUUID()}`;
      const seen = collect(sleepy, head, (event) => event.stream_id === streamId);
      await sleep(200); // caught up: now sleeping for a minute unless notified
      const started = Date.now();
      await store.append(streamId, [contractEvent()], 'no_stream');
      await waitFor(() => seen.events.length === 1, 'the notified event', 5_000);
      expect(Date.now() - started).toBeLessThan(1_000);
      await seen.subscription.stop();
    }, 20_000);

    it('report a lost server through onError once their retries are spent', async () => {
      const unreachable = track(
        new PostgresEventStore({
          connectionString: 'postgres://nobody:nothing@127.0.0.1:1/none',
          subscriptionRetries: 1,
        }),
      );
      const errors: Error[] = [];
      const subscription = unreachable.subscribeToAll(async () => undefined, {
        after: null,
        onError: (error) => errors.push(error),
      });
      await waitFor(() => errors.length === 1, 'onError', 10_000);
      await subscription.stop();
      expect(errors[0].message).toMatch(/ECONNREFUSED|connect/);
    }, 20_000);
  });

  describe('event ids', () => {
    it('refuses an id already stored in another stream with DuplicateEventIdError', async () => {
      const event = contractEvent();
      await store.append(`ids-a-${randomUUID()}`, [event], 'no_stream');
      await expect(store.append(`ids-b-${randomUUID()}`, [event], 'no_stream')).rejects.toBeInstanceOf(
        DuplicateEventIdError,
      );
    });

    it('refuses an id repeated within one batch with DuplicateEventIdError', async () => {
      const event = contractEvent();
      await expect(store.append(`ids-c-${randomUUID()}`, [event, event], 'no_stream')).rejects.toBeInstanceOf(
        DuplicateEventIdError,
      );
    });
  });

  it('hands out positions 1, 2, 3... without holes, conflicts and rollbacks included', async () => {
    const all = await store.readAll({ after: null, max_count: 100_000 });
    expect(all.length).toBeGreaterThan(0);
    expect(all.map((event) => event.position)).toEqual(all.map((_, i) => BigInt(i + 1)));
  });

  describe('createEventStore', () => {
    it('builds a migrated PostgreSQL store', async () => {
      const factorySchema = freshSchema();
      const created = await createEventStore({
        kind: 'postgres',
        url: connectionString,
        schema: factorySchema,
      });
      try {
        const { position } = await created.append('factory-1', [contractEvent()], 'no_stream');
        expect(position).toBe(1n);
        expect(await created.headPosition()).toBe(1n);
      } finally {
        await created.close();
        await dropSchema(factorySchema);
      }
    });
  });
});
