import type { EventStore, RecordedEvent, SubscribeOptions, SubscriptionHandler } from '@tickets/event-store';
import type { CheckpointStore } from './checkpoints/projection-checkpoints';
import type { ApplyOutcome, Projection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { EventLog } from './testing/recorded-events';

/**
 * Unit specification of the runner's own mechanics (routing, batching of checkpoints, retries, stop). The
 * store here is a scripted stand-in that delivers a fixed list of events; the runner against the real
 * PostgreSQL store is specified in projection-runner.int.spec.ts.
 */
class ScriptedStore implements Pick<EventStore, 'subscribeToAll' | 'headPosition' | 'readAll'> {
  subscriptions: { after: bigint | null; stopped: boolean }[] = [];
  constructor(readonly events: RecordedEvent[]) {}

  subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions) {
    const sub = { after: options.after, stopped: false };
    this.subscriptions.push(sub);
    const loop = (async () => {
      for (const event of this.events) {
        if (sub.stopped) return;
        if (options.after !== null && event.position <= options.after) continue;
        try {
          await handler(event);
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
    return this.events.filter((e) => options.after == null || e.position > options.after).slice(0, options.max_count ?? 1000);
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

class RecordingProjection implements Projection {
  seen: string[] = [];
  failuresLeft = 0;
  constructor(
    readonly name: string,
    readonly categories: readonly string[],
  ) {}
  async apply(event: RecordedEvent): Promise<ApplyOutcome> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('server went away');
    }
    this.seen.push(`${event.stream_id}@${event.revision}`);
    return 'applied';
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function setUp(count: number, checkpoint: bigint | null = null) {
  const log = new EventLog();
  for (let i = 0; i < count; i++) log.record(i % 3 === 0 ? `workflow-acme/w${i}` : `ticket-acme/t/t${i}`, { type: 'X', data: {} });
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
      expect(tickets.seen).toEqual(['ticket-acme/t/t1@0', 'ticket-acme/t/t2@0', 'ticket-acme/t/t4@0', 'ticket-acme/t/t5@0', 'ticket-acme/t/t7@0', 'ticket-acme/t/t8@0']);
      expect(workflows.seen).toHaveLength(3);
      expect(outcomes).toHaveLength(9);
      // every 4 events, then the rest on stop
      expect(checkpoints.saved).toEqual([4n, 8n, 10n]);
      expect(runner.status()).toMatchObject({ running: false, position: 10n, saved_position: 10n, events_processed: 10 });
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
    it('retries the same event in place, so nothing is skipped or reordered', async () => {
      const { tickets, runner, log } = setUp(3);
      tickets.failuresLeft = 3;
      await runner.start();
      expect(await runner.waitForPosition(log.events.at(-1)!.position, 1000)).toBe(true);
      await runner.stop();
      expect(tickets.seen).toEqual(['ticket-acme/t/t1@0', 'ticket-acme/t/t2@0']);
      expect(runner.status().last_error).toBeNull();
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
      expect(before).toMatchObject({ position: null, head_position: 6n, behind: 4, behind_capped: true, running: false });
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
  });
});
