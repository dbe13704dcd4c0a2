import { randomUUID } from 'node:crypto';
import {
  ExpectedRevisionConflictError,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from './event-store.port';

/** Timeout of the tests that wait for subscriptions (explicit: jest ignores `testTimeout` set per project). */
const SUBSCRIPTION_TEST_TIMEOUT_MS = 30_000;

/**
 * What an adapter's integration test hands to {@link describeEventStoreContract}.
 * The suite only ever uses streams it names itself (a random prefix per run) and reads the global log from the
 * head it observed, so it can run against a store that holds other data (e.g. a shared EventStoreDB).
 */
export interface EventStoreContractFixture {
  /** The store under test, shared by every test of the suite. */
  readonly store: EventStore;
  /**
   * Opens another store on the same data whose appends wait `delayMs(streamId)` ms after writing, before
   * committing (adapters with a commit hook: PostgreSQL). The suite closes it. Absent: plain concurrency only.
   */
  readonly openWithSlowCommits?: (delayMs: (streamId: string) => number) => Promise<EventStore>;
  /** Closes the store and removes what the fixture created (e.g. drops the test schema). */
  dispose(): Promise<void>;
}

/**
 * Registers the event store contract (ARCHITECTURE.md "Event store", the port's docs) as jest tests under
 * `describe(name)`: expected revisions, conflicts, reads, catch-up subscriptions, idempotent appends,
 * concurrent writers on one stream, and the sequence-gap test (concurrent writers while a subscription runs:
 * every event once, positions strictly increasing).
 * @param factory called once in `beforeAll`; its `dispose` runs in `afterAll`.
 */
export function describeEventStoreContract(
  name: string,
  factory: () => Promise<EventStoreContractFixture>,
): void {
  describe(name, () => {
    let fixture: EventStoreContractFixture | undefined;
    let store: EventStore;
    const run = randomUUID().slice(0, 8);
    let streams = 0;
    const newStreamId = (label: string) => `contract-${run}-${label}-${++streams}`;

    beforeAll(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.dispose();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('append', () => {
      it('creates a stream with no_stream, numbering revisions from 0', async () => {
        const streamId = newStreamId('create');
        const result = await store.append(streamId, [contractEvent(), contractEvent()], 'no_stream');
        expect(result.next_expected_revision).toBe(1n);
        const events = await store.readStream(streamId);
        expect(events.map((event) => event.revision)).toEqual([0n, 1n]);
        expect(result.position).toBe(events[1].position);
      });

      it('appends at the revision the caller read', async () => {
        const streamId = newStreamId('expected');
        const first = await store.append(streamId, [contractEvent()], 'no_stream');
        const second = await store.append(
          streamId,
          [contractEvent(), contractEvent()],
          first.next_expected_revision,
        );
        expect(second.next_expected_revision).toBe(2n);
        expect(second.position).toBeGreaterThan(first.position);
      });

      it('appends without a check with any, on a new and on an existing stream', async () => {
        const streamId = newStreamId('any');
        expect((await store.append(streamId, [contractEvent()], 'any')).next_expected_revision).toBe(0n);
        expect((await store.append(streamId, [contractEvent()], 'any')).next_expected_revision).toBe(1n);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('refuses an empty batch', async () => {
        await expect(store.append(newStreamId('empty'), [], 'any')).rejects.toThrow(RangeError);
      });
    });

    describe('when the stream is not at the expected revision', () => {
      it('refuses a wrong revision with ExpectedRevisionConflictError and writes nothing', async () => {
        const streamId = newStreamId('wrong');
        await store.append(streamId, [contractEvent(), contractEvent()], 'no_stream');
        const error = await store.append(streamId, [contractEvent()], 0n).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExpectedRevisionConflictError);
        expect(error).toMatchObject({ stream_id: streamId, expected: 0n, actual: 1n });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('refuses no_stream on an existing stream (key uniqueness)', async () => {
        const streamId = newStreamId('exists');
        await store.append(streamId, [contractEvent()], 'no_stream');
        const error = await store.append(streamId, [contractEvent()], 'no_stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExpectedRevisionConflictError);
        expect(error).toMatchObject({ stream_id: streamId, expected: 'no_stream', actual: 0n });
      });

      it('refuses a revision on a stream that does not exist', async () => {
        const streamId = newStreamId('missing');
        const error = await store.append(streamId, [contractEvent()], 0n).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExpectedRevisionConflictError);
        expect(error).toMatchObject({ expected: 0n, actual: 'no_stream' });
        expect(await store.readStream(streamId)).toEqual([]);
      });
    });

    describe('readStream', () => {
      it('yields [] for an unknown stream', async () => {
        expect(await store.readStream(newStreamId('unknown'))).toEqual([]);
      });

      it('returns the events as appended, with stream, revision, position and recording time', async () => {
        const streamId = newStreamId('read');
        const appended = contractEvent('ContractRead', { nested: { list: [1, 'two', null], flag: true } });
        const { position } = await store.append(streamId, [appended], 'no_stream');
        const [event] = await store.readStream(streamId);
        expect(event).toEqual({
          ...appended,
          stream_id: streamId,
          revision: 0n,
          position,
          recorded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        });
      });

      it('reads from a revision, at most max_count events', async () => {
        const streamId = newStreamId('slice');
        const events = [contractEvent(), contractEvent(), contractEvent(), contractEvent()];
        await store.append(streamId, events, 'no_stream');
        const slice = await store.readStream(streamId, { from_revision: 1n, max_count: 2 });
        expect(slice.map((event) => event.id)).toEqual([events[1].id, events[2].id]);
        expect(slice.map((event) => event.revision)).toEqual([1n, 2n]);
      });
    });

    describe('readAll and headPosition', () => {
      it('reads the global log in position order after a checkpoint', async () => {
        const head = await store.headPosition();
        const [a, b] = [newStreamId('all-a'), newStreamId('all-b')];
        const events = [contractEvent(), contractEvent(), contractEvent(), contractEvent()];
        await store.append(a, [events[0], events[1]], 'no_stream');
        await store.append(b, [events[2]], 'no_stream');
        const last = await store.append(a, [events[3]], 1n);

        const all = await store.readAll({ after: head });
        expect(all.map((event) => event.id)).toEqual(events.map((event) => event.id));
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect(all[3].position).toBe(last.position);
        expect(await store.headPosition()).toBe(last.position);

        const later = await store.readAll({ after: all[1].position });
        expect(later.map((event) => event.id)).toEqual([events[2].id, events[3].id]);
        const page = await store.readAll({ after: head, max_count: 2 });
        expect(page.map((event) => event.id)).toEqual([events[0].id, events[1].id]);
        expect(await store.readAll({ after: last.position })).toEqual([]);
      });
    });

    describe('catch-up subscription', () => {
      it(
        'delivers the events before and after subscribing, then resumes from a checkpoint with later ones only',
        async () => {
          const head = await store.headPosition();
          const streamId = newStreamId('sub');
          const events = [contractEvent(), contractEvent(), contractEvent(), contractEvent()];
          await store.append(streamId, [events[0], events[1]], 'no_stream');

          const first = collect(store, head, (event) => event.stream_id === streamId);
          await waitFor(() => first.events.length === 2, 'the two events appended before subscribing');
          await store.append(streamId, [events[2]], 1n);
          await waitFor(() => first.events.length === 3, 'the live event');
          await first.subscription.stop();
          await store.append(streamId, [events[3]], 2n);

          const checkpoint = first.events[1].position;
          const resumed = collect(store, checkpoint, (event) => event.stream_id === streamId);
          await waitFor(() => resumed.events.length === 2, 'the events after the checkpoint');
          await sleep(100);
          await resumed.subscription.stop();

          expect(first.events.map((event) => event.id)).toEqual(events.slice(0, 3).map((event) => event.id));
          expect(resumed.events.map((event) => event.id)).toEqual([events[2].id, events[3].id]);
          expect(first.errors).toEqual([]);
          expect(resumed.errors).toEqual([]);
        },
        SUBSCRIPTION_TEST_TIMEOUT_MS,
      );

      it(
        'stop() resolves only once the in-flight handler has finished',
        async () => {
          const head = await store.headPosition();
          const streamId = newStreamId('stop');
          await store.append(streamId, [contractEvent()], 'no_stream');
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          let entered = false;
          let finished = false;
          const subscription = store.subscribeToAll(
            async (event) => {
              if (event.stream_id !== streamId) return;
              entered = true;
              await gate;
              finished = true;
            },
            { after: head },
          );
          await waitFor(() => entered, 'the handler to start');
          let stopped = false;
          const stopping = subscription.stop().then(() => (stopped = true));
          await sleep(100);
          expect(stopped).toBe(false);
          release();
          await stopping;
          expect(finished).toBe(true);
        },
        SUBSCRIPTION_TEST_TIMEOUT_MS,
      );

      it(
        'stops and reports through onError when the handler throws',
        async () => {
          const head = await store.headPosition();
          const streamId = newStreamId('failing');
          await store.append(streamId, [contractEvent(), contractEvent()], 'no_stream');
          const errors: Error[] = [];
          let calls = 0;
          const subscription = store.subscribeToAll(
            async (event) => {
              if (event.stream_id !== streamId) return;
              calls += 1;
              throw new Error('projection failed');
            },
            { after: head, onError: (error) => errors.push(error) },
          );
          await waitFor(() => errors.length === 1, 'onError');
          await sleep(100);
          await subscription.stop();
          expect(errors[0].message).toBe('projection failed');
          expect(calls).toBe(1);
        },
        SUBSCRIPTION_TEST_TIMEOUT_MS,
      );
    });

    describe('batched catch-up subscription', () => {
      it(
        'delivers every event once, in position order, in batches of at most max_batch_size, then live ones',
        async () => {
          const head = await store.headPosition();
          const streamId = newStreamId('batched');
          const appended = Array.from({ length: 7 }, () => contractEvent());
          await store.append(streamId, appended.slice(0, 5), 'no_stream');
          const batches: RecordedEvent[][] = [];
          const errors: Error[] = [];
          let running = 0;
          let overlapping = false;
          const subscription = store.subscribeToAllInBatches(
            async (events) => {
              running += 1;
              overlapping ||= running > 1;
              batches.push([...events]);
              await sleep(5);
              running -= 1;
            },
            { after: head, max_batch_size: 2, onError: (error) => errors.push(error) },
          );
          const mine = () => batches.flat().filter((event) => event.stream_id === streamId);
          await waitFor(() => mine().length === 5, 'the five events appended before subscribing');
          await store.append(streamId, appended.slice(5), 4n);
          await waitFor(() => mine().length === 7, 'the live events');
          await subscription.stop();

          expect(mine().map((event) => event.id)).toEqual(appended.map((event) => event.id));
          expect(batches.every((batch) => batch.length >= 1 && batch.length <= 2)).toBe(true);
          const positions = batches.flat().map((event) => event.position);
          expect(positions.every((position, i) => i === 0 || position > positions[i - 1])).toBe(true);
          expect(overlapping).toBe(false);
          expect(errors).toEqual([]);
        },
        SUBSCRIPTION_TEST_TIMEOUT_MS,
      );

      it(
        'stops and reports through onError when the handler throws',
        async () => {
          const head = await store.headPosition();
          const streamId = newStreamId('batched-failing');
          await store.append(streamId, [contractEvent()], 'no_stream');
          const errors: Error[] = [];
          const subscription = store.subscribeToAllInBatches(
            async (events) => {
              if (events.some((event) => event.stream_id === streamId)) throw new Error('projection failed');
            },
            { after: head, onError: (error) => errors.push(error) },
          );
          await waitFor(() => errors.length === 1, 'onError');
          await subscription.stop();
          expect(errors[0].message).toBe('projection failed');
        },
        SUBSCRIPTION_TEST_TIMEOUT_MS,
      );
    });

    describe('idempotent append', () => {
      it('succeeds without writing when the same event ids are re-appended at the same place', async () => {
        const streamId = newStreamId('idem');
        const batch = [contractEvent(), contractEvent()];
        const first = await store.append(streamId, batch, 'no_stream');
        const head = await store.headPosition();

        expect(await store.append(streamId, batch, 'no_stream')).toEqual(first);
        const next = contractEvent();
        const second = await store.append(streamId, [next], 1n);
        expect(await store.append(streamId, [next], 1n)).toEqual(second);
        // The stream moved on, but the ids are still where that append put them: still a no-op.
        expect(await store.append(streamId, batch, 'no_stream')).toEqual(first);

        expect((await store.readStream(streamId)).map((event) => event.id)).toEqual(
          [...batch, next].map((e) => e.id),
        );
        expect(await store.headPosition()).toBe(second.position);
        expect(head).toBe(first.position);
      });

      it('still raises the conflict when stored ids are re-appended at another expected revision', async () => {
        const streamId = newStreamId('idem-conflict');
        const batch = [contractEvent()];
        await store.append(streamId, batch, 'no_stream');
        await store.append(streamId, [contractEvent()], 0n);
        await expect(store.append(streamId, batch, 5n)).rejects.toBeInstanceOf(ExpectedRevisionConflictError);
        await expect(store.append(streamId, batch, 0n)).rejects.toBeInstanceOf(ExpectedRevisionConflictError);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('concurrent appends to one stream', () => {
      it('lets exactly one of several appends with the same expected revision win', async () => {
        const streamId = newStreamId('race');
        await store.append(streamId, [contractEvent()], 'no_stream');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, () => store.append(streamId, [contractEvent()], 0n)),
        );
        expectOneWinner(outcomes);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('lets exactly one of several no_stream appends create the stream', async () => {
        const streamId = newStreamId('create-race');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, () => store.append(streamId, [contractEvent()], 'no_stream')),
        );
        expectOneWinner(outcomes);
        expect(await store.readStream(streamId)).toHaveLength(1);
      });
    });

    describe('appendMany (group commit)', () => {
      it('appends to several streams in one call, each at its own expected revision, in order', async () => {
        const [a, b] = [newStreamId('many-a'), newStreamId('many-b')];
        await store.append(b, [contractEvent()], 'no_stream');
        const outcomes = await store.appendMany([
          { stream_id: a, events: [contractEvent(), contractEvent()], expected: 'no_stream' },
          { stream_id: b, events: [contractEvent()], expected: 0n },
          { stream_id: a, events: [contractEvent()], expected: 1n },
        ]);
        const results = outcomes.map((outcome) => (outcome.ok ? outcome.result : outcome.error));
        expect(results.map((r) => ('next_expected_revision' in r ? r.next_expected_revision : r))).toEqual([
          1n,
          1n,
          2n,
        ]);
        const positions = outcomes.map((outcome) => (outcome.ok ? outcome.result.position : 0n));
        expectStrictlyIncreasing(positions);
        expect((await store.readStream(a)).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect((await store.readStream(a))[2].position).toBe(positions[2]);
      });

      it('fails only the request whose stream is not at its expected revision', async () => {
        const [taken, fresh, wrong] = [
          newStreamId('many-taken'),
          newStreamId('many-fresh'),
          newStreamId('many-wrong'),
        ];
        await store.append(taken, [contractEvent()], 'no_stream');
        await store.append(wrong, [contractEvent(), contractEvent()], 'no_stream');
        const outcomes = await store.appendMany([
          { stream_id: taken, events: [contractEvent()], expected: 'no_stream' },
          { stream_id: fresh, events: [contractEvent()], expected: 'no_stream' },
          { stream_id: wrong, events: [contractEvent()], expected: 0n },
          { stream_id: fresh, events: [], expected: 0n },
        ]);
        expect(outcomes[0]).toMatchObject({ ok: false, error: expect.any(ExpectedRevisionConflictError) });
        expect(outcomes[1]).toMatchObject({ ok: true, result: { next_expected_revision: 0n } });
        expect(outcomes[2]).toMatchObject({ ok: false, error: expect.any(ExpectedRevisionConflictError) });
        expect(outcomes[3]).toMatchObject({ ok: false, error: expect.any(RangeError) });
        expect(await store.readStream(taken)).toHaveLength(1);
        expect(await store.readStream(fresh)).toHaveLength(1);
        expect(await store.readStream(wrong)).toHaveLength(2);
      });

      it('is idempotent per request: a re-sent batch writes nothing and answers the same', async () => {
        const [a, b] = [newStreamId('many-idem-a'), newStreamId('many-idem-b')];
        const requests = [
          { stream_id: a, events: [contractEvent()], expected: 'no_stream' as const },
          { stream_id: b, events: [contractEvent(), contractEvent()], expected: 'no_stream' as const },
        ];
        const first = await store.appendMany(requests);
        const head = await store.headPosition();
        expect(await store.appendMany(requests)).toEqual(first);
        expect(await store.headPosition()).toBe(head);
      });

      it('answers [] for no requests', async () => {
        expect(await store.appendMany([])).toEqual([]);
      });
    });

    describe('readStreams', () => {
      it("reads each stream's first events in one call; an unknown stream maps to []", async () => {
        const [a, b, unknown] = [
          newStreamId('reads-a'),
          newStreamId('reads-b'),
          newStreamId('reads-unknown'),
        ];
        const eventsA = [contractEvent(), contractEvent()];
        await store.append(a, eventsA, 'no_stream');
        const eventB = contractEvent('OtherTested');
        await store.append(b, [eventB], 'no_stream');

        const firsts = await store.readStreams([a, b, unknown, a], { max_count: 1 });
        expect([...firsts.keys()].sort()).toEqual([a, b, unknown].sort());
        expect(firsts.get(a)!.map((e) => e.id)).toEqual([eventsA[0].id]);
        expect(firsts.get(b)!.map((e) => [e.id, e.type, e.data])).toEqual([
          [eventB.id, eventB.type, eventB.data],
        ]);
        expect(firsts.get(unknown)).toEqual([]);

        const all = await store.readStreams([a, b]);
        expect(all.get(a)).toEqual(await store.readStream(a));
        expect(all.get(b)).toEqual(await store.readStream(b));
      });
    });

    describe('sequence gaps (ARCHITECTURE.md: never skip an event committed late)', () => {
      it('delivers every event of 8 concurrent writers x 50 appends (single and group commits) exactly once, in strictly increasing positions', async () => {
        const writers = 8;
        const appendsPerWriter = 50;
        const head = await store.headPosition();
        const prefix = newStreamId('gap');
        const ours = (event: RecordedEvent) => event.stream_id.startsWith(`${prefix}-`);
        const seen = collect(store, head, ours);

        // Half the writers go through a store whose commits are held back now and then (when the adapter
        // can), so low positions commit late while other writers keep going.
        let slowCalls = 0;
        const slowStore = await fixture!.openWithSlowCommits?.(() =>
          ++slowCalls % 4 === 0 ? 2 + (slowCalls % 5) : 0,
        );
        const appended: string[] = [];
        try {
          await Promise.all(
            Array.from({ length: writers }, async (_, writer) => {
              const writerStore = slowStore && writer % 2 === 0 ? slowStore : store;
              const streamId = `${prefix}-w${writer}`;
              let expected: ExpectedRevision = 'no_stream';
              for (let i = 0; i < appendsPerWriter; i += 1) {
                const event = contractEvent('ContractGapTested', { writer, i });
                if (writer % 4 === 1) {
                  // Group commits (appendMany, with a request that conflicts) interleave with single appends.
                  const [outcome, conflict] = await writerStore.appendMany([
                    { stream_id: streamId, events: [event], expected },
                    { stream_id: streamId, events: [contractEvent('ContractGapTested')], expected },
                  ]);
                  if (!outcome.ok) throw outcome.error;
                  expect(conflict.ok).toBe(false);
                  expected = outcome.result.next_expected_revision;
                } else {
                  expected = (await writerStore.append(streamId, [event], expected)).next_expected_revision;
                }
                appended.push(event.id);
              }
            }),
          );
        } finally {
          await slowStore?.close();
        }

        const total = writers * appendsPerWriter;
        await waitFor(
          () => seen.events.length >= total,
          () => `${total} events (got ${seen.events.length}: an event committed late was skipped?)`,
          20_000,
        );
        await sleep(200); // would let a duplicate arrive
        await seen.subscription.stop();

        expect(seen.errors).toEqual([]);
        expect(seen.maxConcurrentHandlers).toBe(1);
        expect(seen.events).toHaveLength(total);
        expect(new Set(seen.events.map((event) => event.id)).size).toBe(total);
        expect(new Set(seen.events.map((event) => event.id))).toEqual(new Set(appended));
        expectStrictlyIncreasing(seen.allPositions);
        for (let writer = 0; writer < writers; writer += 1) {
          const revisions = seen.events
            .filter((e) => e.stream_id === `${prefix}-w${writer}`)
            .map((e) => e.revision);
          expect(revisions).toEqual(Array.from({ length: appendsPerWriter }, (_, i) => BigInt(i)));
        }
      }, 60_000);
    });
  });
}

/** A new event with the metadata every event carries (TICKETS.md section 7), for tests. */
export function contractEvent(type = 'ContractTested', data: Record<string, unknown> = {}): NewEvent {
  const id = randomUUID();
  return {
    id,
    type,
    data: { ...data, marker: id.slice(0, 8) },
    metadata: {
      command_id: randomUUID(),
      correlation_id: randomUUID(),
      causation_id: randomUUID(),
      actor: 'contract-test',
      occurred_at: '2024-05-01T10:00:00.000Z',
    },
  };
}

/** Polls `condition` every 10 ms; rejects after `timeoutMs` (keep it below the test's own timeout) naming what it waited for. */
export async function waitFor(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A subscription that records what it is handed (all positions, and the events `keep` selects). */
export interface CollectedSubscription {
  readonly subscription: Subscription;
  readonly events: RecordedEvent[];
  readonly allPositions: bigint[];
  readonly errors: Error[];
  readonly maxConcurrentHandlers: number;
}

export function collect(
  store: EventStore,
  after: bigint | null,
  keep: (event: RecordedEvent) => boolean,
): CollectedSubscription {
  const events: RecordedEvent[] = [];
  const allPositions: bigint[] = [];
  const errors: Error[] = [];
  let running = 0;
  let maxConcurrentHandlers = 0;
  const subscription = store.subscribeToAll(
    async (event) => {
      running += 1;
      maxConcurrentHandlers = Math.max(maxConcurrentHandlers, running);
      allPositions.push(event.position);
      if (keep(event)) events.push(event);
      await Promise.resolve(); // give a second delivery the chance to overlap, if the adapter allowed it
      running -= 1;
    },
    { after, onError: (error) => errors.push(error) },
  );
  return {
    subscription,
    events,
    allPositions,
    errors,
    get maxConcurrentHandlers() {
      return maxConcurrentHandlers;
    },
  };
}

export function expectStrictlyIncreasing(positions: readonly bigint[]): void {
  const offending = positions.findIndex((position, i) => i > 0 && position <= positions[i - 1]);
  expect(
    offending === -1
      ? 'strictly increasing'
      : `position ${positions[offending]} after ${positions[offending - 1]}`,
  ).toBe('strictly increasing');
}

function expectOneWinner(outcomes: PromiseSettledResult<unknown>[]): void {
  expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ExpectedRevisionConflictError);
  }
}
