import {
  ExpectedRevisionConflictError,
  type AppendRequest,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from './event-store.port';
import { GroupCommitEventStore } from './group-commit-event-store';

/** Records the calls the group-commit store makes; appends at revision 0 of a stream named `taken` conflict. */
function recordingStore() {
  const appendManyCalls: AppendRequest[][] = [];
  const readStreamsCalls: string[][] = [];
  let release: (() => void) | null = null;
  const store = {
    appendMany: async (requests: readonly AppendRequest[]) => {
      appendManyCalls.push([...requests]);
      if (appendManyCalls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return requests.map((request, index) =>
        request.stream_id === 'taken'
          ? { ok: false as const, error: new ExpectedRevisionConflictError('taken', request.expected, 0n) }
          : { ok: true as const, result: { next_expected_revision: 0n, position: BigInt(index + 1) } },
      );
    },
    readStreams: async (ids: readonly string[]) => {
      readStreamsCalls.push([...ids]);
      return new Map(ids.map((id) => [id, id === 'known' ? [{ stream_id: id } as RecordedEvent] : []]));
    },
    readStream: jest.fn(async () => []),
  } as unknown as EventStore;
  return { store, appendManyCalls, readStreamsCalls, release: () => release?.() };
}

const event = {
  id: '00000000-0000-4000-8000-000000000000',
  type: 'T',
  data: {},
  metadata: {},
} as unknown as NewEvent;

describe('GroupCommitEventStore', () => {
  describe('when appends are issued at the same moment', () => {
    it('writes them with one appendMany, and those issued meanwhile with the next one', async () => {
      const inner = recordingStore();
      const store = new GroupCommitEventStore(inner.store);
      const first = [store.append('a', [event], 'no_stream'), store.append('b', [event], 0n)];
      await new Promise((resolve) => setImmediate(resolve));
      const later = [store.append('c', [event], 'any'), store.append('d', [event], 'any')];
      await new Promise((resolve) => setImmediate(resolve));
      expect(inner.appendManyCalls.map((call) => call.map((r) => r.stream_id))).toEqual([['a', 'b']]);
      inner.release();
      await Promise.all([...first, ...later]);
      expect(inner.appendManyCalls.map((call) => call.map((r) => r.stream_id))).toEqual([
        ['a', 'b'],
        ['c', 'd'],
      ]);
      expect(await first[1]).toEqual({ next_expected_revision: 0n, position: 2n });
    });

    it('rejects only the append whose stream conflicts', async () => {
      const inner = recordingStore();
      const store = new GroupCommitEventStore(inner.store);
      const outcomes = Promise.allSettled([
        store.append('a', [event], 'no_stream'),
        store.append('taken', [event], 'no_stream'),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      inner.release();
      const [ok, conflict] = await outcomes;
      expect(ok.status).toBe('fulfilled');
      expect(conflict).toMatchObject({
        status: 'rejected',
        reason: expect.any(ExpectedRevisionConflictError),
      });
    });

    it('splits a group larger than maxBatch', async () => {
      const inner = recordingStore();
      const store = new GroupCommitEventStore(inner.store, { maxBatch: 2 });
      const appends = ['a', 'b', 'c'].map((id) => store.append(id, [event], 'any'));
      await new Promise((resolve) => setImmediate(resolve));
      inner.release();
      await Promise.all(appends);
      expect(inner.appendManyCalls.map((call) => call.length)).toEqual([2, 1]);
    });
  });

  describe('when whole streams are read at the same moment', () => {
    it('reads them with one readStreams and answers each caller with its stream', async () => {
      const inner = recordingStore();
      const store = new GroupCommitEventStore(inner.store);
      const [known, unknown] = await Promise.all([store.readStream('known'), store.readStream('unknown')]);
      expect(inner.readStreamsCalls).toEqual([['known', 'unknown']]);
      expect(known).toHaveLength(1);
      expect(unknown).toEqual([]);
    });

    it('passes reads with options through', async () => {
      const inner = recordingStore();
      const store = new GroupCommitEventStore(inner.store);
      await store.readStream('known', { max_count: 1 });
      expect(inner.readStreamsCalls).toEqual([]);
      expect(inner.store.readStream).toHaveBeenCalledWith('known', { max_count: 1 });
    });
  });
});
