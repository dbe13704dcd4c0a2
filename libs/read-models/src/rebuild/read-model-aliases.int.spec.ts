import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import { AliasedGeneration, AliasSwitchConflictError, ReadModelAliases } from './read-model-aliases';
import { readModelGeneration } from './read-model-generation';

/** The alias document on the real MongoDB-compatible server (FerretDB v1 on the test machines). */
jest.setTimeout(60_000);

describe('read model alias (read_model_aliases)', () => {
  let db: TestDatabase;
  let now = new Date('2026-01-01T00:00:00.000Z');
  let aliases: ReadModelAliases;
  const [one, two, three] = [1, 2, 3].map((v) => readModelGeneration(v, 'tickets'));

  beforeAll(async () => {
    db = await openTestDatabase();
    aliases = new ReadModelAliases(db.connection, { projectionName: 'tickets', now: () => now });
  });
  afterAll(() => db?.drop());

  it('names generation 1 while there is no document', async () => {
    expect(await aliases.read()).toBeNull();
    expect(await aliases.resolve()).toEqual(one);
    expect(await aliases.previous()).toBeNull();
  });

  it('switches only from the generation the caller saw, keeping it as previous', async () => {
    await aliases.switchTo(one, two, 120n);
    expect(await aliases.resolve()).toEqual(two);
    expect(await aliases.previous()).toEqual(one);
    expect(await aliases.read()).toMatchObject({ position: 120, switched_at: now, adopted_at: null });
    await expect(aliases.switchTo(one, three, 130n)).rejects.toThrow(AliasSwitchConflictError);
    expect(await aliases.resolve()).toEqual(two);
    expect(await aliases.markAdopted(1, 'old/1')).toBe(false);
    expect(await aliases.markAdopted(2, 'host/42')).toBe(true);
    expect(await aliases.read()).toMatchObject({ adopted_by: 'host/42' });
  });

  it('gives the rebuild lease to one owner until it expires', async () => {
    expect(await aliases.acquireRebuildLease('a', 3, 30_000)).toBe(true);
    expect(await aliases.acquireRebuildLease('b', 3, 30_000)).toBe(false);
    now = new Date(now.getTime() + 20_000);
    expect(await aliases.renewRebuildLease('a')).toBe(true);
    now = new Date(now.getTime() + 20_000);
    expect(await aliases.acquireRebuildLease('b', 3, 30_000)).toBe(false);
    now = new Date(now.getTime() + 31_000);
    expect(await aliases.acquireRebuildLease('b', 4, 30_000)).toBe(true);
    expect(await aliases.renewRebuildLease('a')).toBe(false);
    await aliases.releaseRebuildLease('a');
    expect((await aliases.read())?.rebuild).toMatchObject({ owner: 'b', version: 4 });
    await aliases.releaseRebuildLease('b');
    expect((await aliases.read())?.rebuild).toBeNull();
  });

  it('is cached by readers for the TTL, then re-read', async () => {
    let clock = 0;
    const reader = new AliasedGeneration(aliases, { ttlMs: 1000, clock: () => clock });
    expect(reader.last()).toEqual(one); // before the first read: generation 1
    expect(await reader.current()).toEqual(two);
    await aliases.switchTo(two, three, 200n);
    clock = 999;
    expect(await reader.current()).toEqual(two);
    clock = 1000;
    expect(await reader.current()).toEqual(three);
    expect(reader.last()).toEqual(three);
  });
});
