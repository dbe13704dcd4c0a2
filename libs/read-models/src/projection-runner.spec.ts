import { mongo } from 'mongoose';
import type {
  BatchSubscribeOptions,
  BatchSubscriptionHandler,
  EventStore,
  RecordedEvent,
} from '@tickets/event-store';
import type { CheckpointStore } from './checkpoints/projection-checkpoints';
import { MemoryParkedEvents } from './parking/parked-events';
import type { ApplyOutcome, Projection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { EventLog } from './testing/recorded-events';

/**
 * Unit specification of the runner's own mechanics (routing, batching of checkpoints, retries, stop). The
 * store here is a scripted stand-in that delivers a fixed list of events; the runner against the real
 * PostgreSQL store is specified in projection-runner.int.spec.ts.
 */
class ScriptedStore implements Pick<
  EventStore,
  'subscribeToAllInBatches' | 'headPosition' | 'readAll' | 'readStream'
> {
  subscriptions: { after: bigint | null; stopped: boolean; batches: number }[] = [];
  constructor(readonly events: RecordedEvent[]) {}

  subscribeToAllInBatches(handler: BatchSubscriptionHandler, options: BatchSubscribeOptions) {
    const sub = { after: options.after, stopped: false, batches: 0 };
    this.subscriptions.push(sub);
    const size = options.max_batch_size ?? 500;
    const loop = (async () => {
      const pending = this.events.filter((event) => options.after === null || event.position > options.after);
      for (let i = 0; i < pending.length; i += size) {
        if (sub.stopped) return;
        try {
          sub.batches += 1;
          await handler(pending.slice(i, i + size));
        } catch (error) {
          if (!sub.stopped) options.onError?.(error as Error);
          return;
        }
      }
    })();
    return {
      stop: async () => {
        sub.stopped = true;
        await loop;
      },
    };
  }
  async headPosition() {
    return this.events.at(-1)?.position ?? null;
  }
  async readAll(options: { after?: bigint | null; max_count?: number } = {}) {
    return this.events
      .filter((e) => options.after == null || e.position > options.after)
      .slice(0, options.max_count ?? 1000);
  }
  async readStream(streamId: string, options: { from_revision?: bigint; max_count?: number } = {}) {
    return this.events
      .filter((e) => e.stream_id === streamId && e.revision >= (options.from_revision ?? 0n))
      .slice(0, options.max_count ?? Infinity);
  }
}

class MemoryCheckpoints implements CheckpointStore {
  saved: bigint[] = [];
  constructor(private position: bigint | null = null) {}
  async load() {
    return this.position;
  }
  async save(_name: string, position: bigint) {
    this.position = position;
    this.saved.push(position);
  }
}

/**
 * A projection test double: records what it applied; `failuresLeft` transient faults (a MongoDB network error)
 * come first; an event of type `Poison` cannot be applied (a permanent error, as the BSON serializer's
 * RangeError) while `poisonous` is set. `applyBatch` is all or nothing, like the real projections'.
 */
class RecordingProjection implements Projection {
  seen: string[] = [];
  failuresLeft = 0;
  poisonous = true;
  batches: number[] = [];
  marks: string[] = [];
  constructor(
    readonly name: string,
    readonly categories: readonly string[],
  ) {}
  async apply(event: RecordedEvent): Promise<ApplyOutcome> {
    const [outcome] = await this.applyBatch([event]);
    return outcome;
  }
  async applyBatch(events: readonly RecordedEvent[]): Promise<ApplyOutcome[]> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new mongo.MongoNetworkError('server went away');
    }
    if (this.poisonous && events.some((event) => event.type === 'Poison'))
      throw new RangeError('Maximum call stack size exceeded');
    this.batches.push(events.length);
    this.seen.push(...events.map((event) => `${event.stream_id}@${event.revision}`));
    return events.map(() => 'applied');
  }
  async markParked(stream_id: string, parked: boolean): Promise<void> {
    this.marks.push(`${parked ? '+' : '-'}${stream_id}`);
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function setUp(count: number, checkpoint: bigint | null = null) {
  const log = new EventLog();
  for (let i = 0; i < count; i++)
    log.record(i % 3 === 0 ? `workflow-acme/w${i}` : `ticket-acme/t/t${i}`, { type: 'X', data: {} });
  log.record('command-123', { type: 'CommandRejected', data: {} });
  const store = new ScriptedStore(log.events);
  const checkpoints = new MemoryCheckpoints(checkpoint);
  const tickets = new RecordingProjection('tickets', ['ticket']);
  const workflows = new RecordingProjection('workflows', ['workflow']);
  const outcomes: string[] = [];
  const runner = new ProjectionRunner({
    name: 'test',
    store: store as unknown as EventStore,
    projections: [tickets, workflows],
    checkpoints,
    batchSize: 4,
    checkpointEvery: 4,
    checkpointIntervalMs: 10_000,
    retryInitialMs: 1,
    logger: quiet,
    onApplied: (projection, outcome) => outcomes.push(`${projection}:${outcome}`),
  });
  return { log, store, checkpoints, tickets, workflows, runner, outcomes };
}

describe('projection runner', () => {
  describe('when it starts without a checkpoint', () => {
    it('routes every event by stream category, skips other categories, and checkpoints in batches', async () => {
      const { log, checkpoints, tickets, workflows, runner, outcomes } = setUp(9);
      await runner.start();
      expect(await runner.waitForPosition(log.events.at(-1)!.position, 1000)).toBe(true);
      await runner.stop();
      expect(tickets.seen).toEqual([
        'ticket-acme/t/t1@0',
        'ticket-acme/t/t2@0',
        'ticket-acme/t/t4@0',
        'ticket-acme/t/t5@0',
        'ticket-acme/t/t7@0',
        'ticket-acme/t/t8@0',
      ]);
      expect(workflows.seen).toHaveLength(3);
      expect(outcomes).toHaveLength(9);
      // batches of 4 events, one checkpoint each, then the rest on stop
      expect(checkpoints.saved).toEqual([4n, 8n, 10n]);
      expect(runner.status()).toMatchObject({
        running: false,
        position: 10n,
        saved_position: 10n,
        events_processed: 10,
      });
    });
  });

  describe('when it starts from a checkpoint', () => {
    it('subscribes after it', async () => {
      const { store, tickets, runner, log } = setUp(9, 5n);
      await runner.start();
      await runner.waitForPosition(log.events.at(-1)!.position, 1000);
      await runner.stop();
      expect(store.subscriptions[0].after).toBe(5n);
      expect(tickets.seen).toEqual(['ticket-acme/t/t5@0', 'ticket-acme/t/t7@0', 'ticket-acme/t/t8@0']);
    });
  });

  describe('when a projection fails', () => {
    it('retries a transient fault in place, so nothing is skipped or reordered', async () => {
      const { tickets, runner, log } = setUp(3);
      tickets.failuresLeft = 3;
      await runner.start();
      expect(await runner.waitForPosition(log.events.at(-1)!.position, 1000)).toBe(true);
      await runner.stop();
      expect(tickets.seen).toEqual(['ticket-acme/t/t1@0', 'ticket-acme/t/t2@0']);
      expect(runner.status().last_error).toBeNull();
    });
  });

  describe('when a projection cannot apply an event (a permanent error)', () => {
    const parkingSetUp = () => {
      const log = new EventLog();
      const a = 'ticket-acme/t/a';
      const b = 'ticket-acme/t/b';
      log.record(a, { type: 'X', data: {} });
      log.record(a, { type: 'Poison', data: {} });
      log.record(b, { type: 'X', data: {} });
      log.record(a, { type: 'X', data: {} });
      log.record(b, { type: 'X', data: {} });
      log.record('workflow-acme/w', { type: 'X', data: {} });
      const store = new ScriptedStore(log.events);
      const tickets = new RecordingProjection('tickets', ['ticket']);
      const workflows = new RecordingProjection('workflows', ['workflow']);
      const parking = new MemoryParkedEvents(() => new Date('2025-01-01T00:05:00.000Z'));
      const outcomes: string[] = [];
      const runner = new ProjectionRunner({
        name: 'gen-1',
        store: store as unknown as EventStore,
        projections: [tickets, workflows],
        checkpoints: new MemoryCheckpoints(),
        parking,
        batchSize: 500,
        retryInitialMs: 1,
        logger: quiet,
        onApplied: (projection, outcome, event) =>
          outcomes.push(`${projection}:${event.stream_id}@${event.revision}:${outcome}`),
      });
      return { log, store, tickets, workflows, parking, runner, outcomes, a, b };
    };

    it('parks it and the later events of its stream, marks the document, and every other stream flows on', async () => {
      const { log, tickets, workflows, parking, runner, outcomes, a, b } = parkingSetUp();
      await runner.start();
      expect(await runner.waitForPosition(log.events.at(-1)!.position, 1000)).toBe(true);
      await runner.stop();

      expect(tickets.seen).toEqual([`${a}@0`, `${b}@0`, `${b}@1`]);
      expect(workflows.seen).toEqual(['workflow-acme/w@0']);
      expect(tickets.marks).toEqual([`+${a}`]);
      expect(outcomes.filter((o) => o.endsWith(':parked'))).toEqual([
        `tickets:${a}@1:parked`,
        `tickets:${a}@2:parked`,
      ]);
      const records = await parking.list('gen-1');
      expect(records).toMatchObject([
        {
          projection: 'tickets',
          stream_id: a,
          revision: 1,
          position: 2,
          behind: null,
          error: 'Maximum call stack size exceeded',
          event: { type: 'Poison' },
        },
        {
          projection: 'tickets',
          stream_id: a,
          revision: 2,
          position: 4,
          behind: 2,
          error: expect.stringContaining('is parked'),
        },
      ]);
      expect(runner.status()).toMatchObject({ position: 6n, last_error: null });
      expect(await runner.lag()).toMatchObject({
        behind: 0,
        stalled: false,
        parked: 2,
        parked_by_projection: { tickets: 2 },
        oldest_parked_at: '2025-01-01T00:05:00.000Z',
      });
    });

    it('re-applies the parked events in stream order once the cause is fixed, removing the records and the mark', async () => {
      const { log, tickets, parking, runner, a } = parkingSetUp();
      await runner.start();
      await runner.waitForPosition(log.events.at(-1)!.position, 1000);
      await runner.stop();

      // Still broken: the first fails again, the one behind it stays.
      expect(await runner.reapplyParked()).toEqual({ reapplied: 0, still_parked: 2, streams_cleared: 0 });
      expect((await parking.list('gen-1'))[0]).toMatchObject({ attempts: 1 });

      tickets.poisonous = false;
      expect(await runner.reapplyParked()).toEqual({ reapplied: 2, still_parked: 0, streams_cleared: 1 });
      expect(tickets.seen.slice(-2)).toEqual([`${a}@1`, `${a}@2`]);
      expect(tickets.marks).toEqual([`+${a}`, `-${a}`]);
      expect(await parking.list('gen-1')).toEqual([]);
      expect((await runner.lag()).parked).toBe(0);
    });

    it('applies later events of a stream normally once its parked events were re-applied elsewhere', async () => {
      const { log, tickets, runner, a } = parkingSetUp();
      await runner.start();
      await runner.waitForPosition(log.events.at(-1)!.position, 1000);
      await runner.stop();
      tickets.poisonous = false;
      await runner.reapplyParked();
      log.record(a, { type: 'X', data: {} }); // the store's log
      await runner.start();
      expect(await runner.waitForPosition(log.events.at(-1)!.position, 1000)).toBe(true);
      await runner.stop();
      expect(tickets.seen.at(-1)).toBe(`${a}@3`);
    });

    it('finds the failing event of a large batch by halving it, applying every other event', async () => {
      const log = new EventLog();
      for (let i = 0; i < 40; i++)
        log.record(`ticket-acme/t/t${i}`, { type: i === 27 ? 'Poison' : 'X', data: {} });
      const tickets = new RecordingProjection('tickets', ['ticket']);
      const parking = new MemoryParkedEvents();
      const runner = new ProjectionRunner({
        name: 'gen-1',
        store: new ScriptedStore(log.events) as unknown as EventStore,
        projections: [tickets],
        checkpoints: new MemoryCheckpoints(),
        parking,
        logger: quiet,
      });
      await runner.start();
      await runner.waitForPosition(40n, 1000);
      await runner.stop();
      expect(tickets.seen).toHaveLength(39);
      expect(tickets.seen).not.toContain('ticket-acme/t/t27@0');
      expect((await parking.list('gen-1')).map((r) => r.stream_id)).toEqual(['ticket-acme/t/t27']);
      expect(tickets.batches.length).toBeLessThan(20);
    });
  });

  describe('lag', () => {
    it('counts waiting events and reports a stall only after stallAfterMs without progress', async () => {
      let now = Date.parse('2025-01-01T00:01:00.000Z');
      const { store, checkpoints } = setUp(5);
      const runner = new ProjectionRunner({
        name: 'test',
        store: store as unknown as EventStore,
        projections: [],
        checkpoints,
        clock: () => now,
        stallAfterMs: 30_000,
        lagCountLimit: 4,
        logger: quiet,
      });
      const before = await runner.lag();
      expect(before).toMatchObject({
        position: null,
        head_position: 6n,
        behind: 4,
        behind_capped: true,
        running: false,
      });
      expect(before.lag_ms).toBe(60_000);
      await runner.start();
      await runner.waitForPosition(6n, 1000);
      const after = await runner.lag();
      expect(after).toMatchObject({ position: 6n, behind: 0, lag_ms: 0, stalled: false });
      await runner.stop();
      store.events.push(new EventLog().record('ticket-acme/t/late', { type: 'X', data: {} }));
      (store.events.at(-1) as { position: bigint }).position = 7n;
      expect((await runner.lag()).stalled).toBe(false);
      now += 30_000;
      expect(await runner.lag()).toMatchObject({ behind: 1, stalled: true });
    });

    it('does not report a stall when the first event after a long quiet spell has just arrived', async () => {
      let now = Date.parse('2025-01-01T00:00:00.000Z');
      const log = new EventLog();
      log.record('ticket-acme/t/a', { type: 'X', data: {} }, '2025-01-01T00:00:00.000Z');
      const store = new ScriptedStore(log.events);
      const runner = new ProjectionRunner({
        name: 'test',
        store: store as unknown as EventStore,
        projections: [new RecordingProjection('tickets', ['ticket'])],
        checkpoints: new MemoryCheckpoints(),
        clock: () => now,
        stallAfterMs: 30_000,
        logger: quiet,
      });
      await runner.start();
      await runner.waitForPosition(1n, 1000);
      await runner.stop();
      // 31 s of quiet, then an event recorded 100 ms ago that the runner has not taken yet.
      now += 31_000;
      log.record('ticket-acme/t/b', { type: 'X', data: {} }, new Date(now - 100).toISOString()); // the store's log
      expect(await runner.lag()).toMatchObject({ behind: 1, waiting_ms: 100, stalled: false });
      now += 29_900;
      expect(await runner.lag()).toMatchObject({ behind: 1, waiting_ms: 30_000, stalled: true });
    });
  });
});
