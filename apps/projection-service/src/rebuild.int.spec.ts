import {
  fixedGeneration,
  generationContentHash,
  listGenerations,
  ProjectionRunner,
  pruneReadModels,
  ReadModelAliases,
  ReadModels,
  rebuildReadModels,
  rollbackReadModels,
  TicketsReadModel,
  type ReadModelGeneration,
} from '@tickets/read-models';
import { ProjectionWorker } from './projection.worker';
import { createdData, eventually, serviceUnderTest, type ServiceUnderTest } from './testing/service-under-test';

/**
 * Rebuilding the read models without downtime (docs/read-models.md "Rebuilding without downtime"), against the
 * real servers: the projection-service keeps the live generation current and follows the alias; a
 * gateway-like reader keeps reading; writes continue throughout. The rebuilt generation must equal the live
 * one: same content hash once both stand at the same position.
 */
jest.setTimeout(240_000);

const quiet = { log: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

/** Appends a varied, deterministic mix of ticket events (creations, moves between states, assignments, ...). */
class Writer {
  private readonly tickets = new Map<number, { state: string; alive: boolean }>();
  private seed = 42;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  appended = 0;
  head = 0n;

  constructor(private readonly sut: ServiceUnderTest) {}

  private random(n: number): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed % n;
  }

  async write(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.one();
  }

  start(intervalMs: number): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.one();
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async one(): Promise<void> {
    const n = this.random(40);
    const shortname = `t${n}`;
    const key = { space_name: 'acme', subpath: 'tickets', shortname };
    const stream = `ticket-acme/tickets/${shortname}`;
    const ticket = this.tickets.get(n);
    const at = new Date().toISOString();
    let event: { type: string; data: object };
    if (!ticket || !ticket.alive) {
      event = { type: 'TicketCreated', data: createdData(key, { owner_shortname: ['alice', 'bob'][this.random(2)], tags: ['x'] }) };
      this.tickets.set(n, { state: 'new', alive: true });
    } else {
      switch (this.random(7)) {
        case 0:
        case 1: {
          const next = ['new', 'in_progress', 'done'][this.random(3)];
          event = {
            type: 'TicketProgressed',
            data: { action: `to_${next}`, from_state: ticket.state, state: next, is_open: next !== 'done', resolution_reason: next === 'done' ? 'fixed' : null, actor: 'bob', at },
          };
          ticket.state = next;
          break;
        }
        case 2: {
          const group = ['l1', 'l2', undefined][this.random(3)];
          event = {
            type: 'TicketAssigned',
            data: { owner_shortname: ['alice', 'bob', 'carol'][this.random(3)], ...(group ? { owner_group_shortname: group } : {}), previous_owner_shortname: 'x', by: 'admin', at },
          };
          break;
        }
        case 3:
          event = { type: 'TicketLocked', data: { holder: 'bob', expires_at: at, at } };
          break;
        case 4:
          event = { type: 'CommentAdded', data: { comment: { shortname: `c${this.appended}`, uuid: `u${this.appended}`, body: 'hi', author: 'bob', created_at: at, state: ticket.state } } };
          break;
        case 5:
          event = { type: 'TicketUpdated', data: { set: { tags: [`tag${this.random(5)}`], description: { en: `d${this.appended}` } }, unset: [], at } };
          break;
        default:
          event = { type: 'TicketDeleted', data: { by: 'admin', at } };
          ticket.alive = false;
      }
    }
    const { position } = await this.sut.append(stream, event);
    this.appended += 1;
    this.head = position;
  }
}

describe('rebuilding the read models while they serve and writes continue', () => {
  let sut: ServiceUnderTest;
  let writer: Writer;
  let reader: TicketsReadModel;
  let aliases: ReadModelAliases;

  beforeAll(async () => {
    sut = await serviceUnderTest({ INTEGRATION_EVENTS_ENABLED: false, READ_MODEL_ALIAS_TTL_MS: 1000 });
    await sut.start();
    writer = new Writer(sut);
    reader = new TicketsReadModel(sut.connection); // as the gateway: follows the alias, cached 1 s
    aliases = new ReadModelAliases(sut.connection, { projectionName: sut.config.PROJECTION_NAME });
  });
  afterAll(async () => {
    await writer?.stop();
    await sut?.close();
  });

  const worker = () => sut.app.get(ProjectionWorker);
  /** Brings `generation` up to `head` from its own checkpoint (a generation nobody maintains any more). */
  const catchUp = async (generation: ReadModelGeneration, head: bigint) => {
    const models = new ReadModels(sut.connection, fixedGeneration(generation));
    const runner = new ProjectionRunner({ name: generation.checkpoint, store: sut.store, projections: models.projections(), checkpoints: models.checkpoints, logger: quiet });
    await runner.start();
    expect(await runner.waitForPosition(head, 60_000)).toBe(true);
    await runner.stop();
  };

  it('builds generation 2 from zero, switches once caught up, and the service and readers follow', async () => {
    await writer.write(250);
    expect(await worker().runner.waitForPosition(writer.head, 60_000)).toBe(true);
    expect(await reader.live()).toMatchObject({ generation: { version: 1 } });

    // Readers keep reading throughout; none may fail.
    const readErrors: unknown[] = [];
    let reading = true;
    const seen: { at: number; version: number }[] = [];
    const reads = (async () => {
      while (reading) {
        try {
          const { generation } = await reader.live();
          if (seen[seen.length - 1]?.version !== generation.version) seen.push({ at: Date.now(), version: generation.version });
          await reader.findByKey('acme', 'tickets', 't1');
          await reader.counts('acme');
        } catch (error) {
          readErrors.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    // ~25 writes a second: well within what the projection applies on a busy test machine, so the rebuild can
    // catch up while writes continue (a rebuild, like the live projection, must be faster than the writes).
    writer.start(40);
    const headBefore = writer.head;
    const result = await rebuildReadModels({
      connection: sut.connection,
      store: sut.store,
      projectionName: sut.config.PROJECTION_NAME,
      logger: quiet,
      adoptionTimeoutMs: 30_000,
    });
    expect(result).toMatchObject({
      from: { version: 1, collections: { tickets: 'tickets' } },
      to: { version: 2, collections: { tickets: 'tickets_v2', ticket_counters: 'ticket_counters_v2', workflows: 'workflows_v2' } },
      adopted: true,
    });
    expect(result.events_processed).toBeGreaterThanOrEqual(250);
    // Writes went on while the rebuild ran: it switched at a position the live model reached after it started.
    expect(result.position! > headBefore).toBe(true);
    const alias = await aliases.read();
    expect(alias).toMatchObject({ version: 2, previous: { version: 1, checkpoint: sut.config.PROJECTION_NAME }, rebuild: null });
    expect(alias?.adopted_by).toMatch(/\/\d+$/);

    // The service maintains generation 2 now, from the rebuilt checkpoint.
    expect(worker().generation()).toMatchObject({ version: 2, checkpoint: `${sut.config.PROJECTION_NAME}_v2` });
    const health = (await (await fetch(`${sut.baseUrl}/health`)).json()) as { status: string; details: Record<string, any> };
    expect(health).toMatchObject({ status: 'ok', details: { projection: { generation: 2, running: true } } });

    // Readers switched within a second of the switch (alias cache 1 s, plus one read).
    await eventually(() => seen.some((s) => s.version === 2), 5000);
    const switchedAt = (alias?.switched_at as Date).getTime();
    const followedAt = seen.find((s) => s.version === 2)!.at;
    expect(followedAt - switchedAt).toBeLessThan(1500);

    // Writes go on after the switch, into generation 2.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await writer.stop();
    reading = false;
    await reads;
    expect(readErrors).toEqual([]);
    expect(await worker().runner.waitForPosition(writer.head, 60_000)).toBe(true);
    const live = await reader.findByKey('acme', 'tickets', 't1');
    expect(live === null || live.last_position <= Number(writer.head)).toBe(true);
  });

  it('is identical to the generation it replaced, by content hash, at the same position', async () => {
    const head = writer.head;
    const [previous, current] = [(await aliases.previous())!, await aliases.resolve()];
    // Generation 1 stopped being maintained at the switch: bring it to the same position first.
    await catchUp(previous, head);
    const [old, rebuilt] = [await generationContentHash(sut.connection, previous), await generationContentHash(sut.connection, current)];
    expect(rebuilt.collections.tickets.count).toBeGreaterThan(0);
    expect(rebuilt.collections.ticket_counters.count).toBeGreaterThan(0);
    expect(rebuilt.collections.tickets).toEqual({ ...old.collections.tickets, collection: 'tickets_v2' });
    expect(rebuilt.collections.ticket_counters).toEqual({ ...old.collections.ticket_counters, collection: 'ticket_counters_v2' });
    expect(rebuilt.sha256).toBe(old.sha256);

    // The hash sees a difference in any field.
    const tickets = sut.connection.collection(previous.collections.tickets);
    const one = await tickets.findOne({}, { sort: { _id: 1 } });
    await tickets.updateOne({ _id: one!._id }, { $set: { revision: (one!.revision as number) + 1 } });
    expect((await generationContentHash(sut.connection, previous)).sha256).not.toBe(old.sha256);
    await tickets.updateOne({ _id: one!._id }, { $set: { revision: one!.revision } });
    expect((await generationContentHash(sut.connection, previous)).sha256).toBe(old.sha256);
  });

  it('rolls back to the previous generation, catching it up first, and prunes what is neither live nor previous', async () => {
    writer.start(40);
    const back = await rollbackReadModels({ connection: sut.connection, store: sut.store, projectionName: sut.config.PROJECTION_NAME, logger: quiet });
    expect(back).toMatchObject({ from: { version: 2 }, to: { version: 1 }, adopted: true });
    expect(worker().generation()).toMatchObject({ version: 1 });
    await writer.stop();
    expect(await worker().runner.waitForPosition(writer.head, 60_000)).toBe(true);

    const again = await rebuildReadModels({ connection: sut.connection, store: sut.store, projectionName: sut.config.PROJECTION_NAME, logger: quiet });
    expect(again).toMatchObject({ from: { version: 1 }, to: { version: 3 }, adopted: true });
    expect(await listGenerations(sut.connection)).toEqual([1, 2, 3]);
    expect((await pruneReadModels(sut.connection, sut.config.PROJECTION_NAME)).sort()).toEqual(['ticket_counters_v2', 'tickets_v2', 'workflows_v2']);
    expect(await listGenerations(sut.connection)).toEqual([1, 3]);

    await catchUp((await aliases.previous())!, writer.head);
    expect(await worker().runner.waitForPosition(writer.head, 60_000)).toBe(true);
    const [one, three] = [await generationContentHash(sut.connection, (await aliases.previous())!), await generationContentHash(sut.connection, await aliases.resolve())];
    expect(three.sha256).toBe(one.sha256);
  });
});
