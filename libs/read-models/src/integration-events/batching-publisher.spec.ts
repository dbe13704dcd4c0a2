import type { CheckpointStore } from '../checkpoints/projection-checkpoints';
import { BatchingPublisher, type OutgoingMessage } from './batching-publisher';
import { publishBeforeCheckpoint } from './ticket-integration-events.projection';

const message = (n: number): OutgoingMessage => ({ key: `k${n % 3}`, value: String(n), headers: { 'x-event-id': `e${n}` } });
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A sink whose calls the test completes or fails one by one. */
function controlledSink() {
  const calls: { messages: string[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  const written: string[] = [];
  const sink = (messages: readonly OutgoingMessage[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        messages: messages.map((m) => m.value),
        resolve: () => {
          written.push(...messages.map((m) => m.value));
          resolve();
        },
        reject,
      });
    });
  return { sink, calls, written };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('batching publisher', () => {
  it('sends the first message at once and batches what arrives while a batch is in flight, in order', async () => {
    const { sink, calls, written } = controlledSink();
    const publisher = new BatchingPublisher(sink, { logger: quiet });
    await publisher.enqueue(message(1));
    for (let n = 2; n <= 5; n++) await publisher.enqueue(message(n));
    expect(calls.map((c) => c.messages)).toEqual([['1']]);
    calls[0].resolve();
    await tick();
    expect(calls[1].messages).toEqual(['2', '3', '4', '5']);
    calls[1].resolve();
    await publisher.flush();
    expect(written).toEqual(['1', '2', '3', '4', '5']);
  });

  describe('when the broker fails a batch', () => {
    it('retries the same batch first, so nothing is lost or reordered', async () => {
      const { sink, calls, written } = controlledSink();
      const publisher = new BatchingPublisher(sink, { logger: quiet, retryInitialMs: 1 });
      await publisher.enqueue(message(1));
      await publisher.enqueue(message(2));
      calls[0].reject(new Error('broker down'));
      await new Promise((r) => setTimeout(r, 10));
      expect(calls[1].messages).toEqual(['1', '2']);
      expect(publisher.status()).toMatchObject({ pending: 2, last_error: 'broker down' });
      calls[1].resolve();
      await publisher.flush();
      expect(written).toEqual(['1', '2']);
      expect(publisher.status()).toMatchObject({ pending: 0, last_error: null, published: 2 });
    });

    it('fails a flush, so the checkpoint is not stored past unpublished events', async () => {
      const { sink, calls } = controlledSink();
      const publisher = new BatchingPublisher(sink, { logger: quiet, retryInitialMs: 60_000 });
      const saved: bigint[] = [];
      const checkpoints: CheckpointStore = { load: async () => null, save: async (_name, position) => void saved.push(position) };
      const guarded = publishBeforeCheckpoint(checkpoints, publisher);
      await publisher.enqueue(message(1));
      const save = guarded.save('events', 1n);
      calls[0].reject(new Error('broker down'));
      await expect(save).rejects.toThrow(/broker down/);
      expect(saved).toEqual([]);
      publisher.stop();
    });
  });

  it('stores the checkpoint only after everything before it is acknowledged', async () => {
    const { sink, calls } = controlledSink();
    const publisher = new BatchingPublisher(sink, { logger: quiet });
    const saved: bigint[] = [];
    const guarded = publishBeforeCheckpoint({ load: async () => null, save: async (_n, p) => void saved.push(p) }, publisher);
    await publisher.enqueue(message(1));
    await publisher.enqueue(message(2));
    const save = guarded.save('events', 2n);
    await tick();
    expect(saved).toEqual([]);
    calls[0].resolve();
    await tick();
    expect(saved).toEqual([]);
    calls[1].resolve();
    await save;
    expect(saved).toEqual([2n]);
  });

  it('makes the caller wait once maxBuffered messages are unacknowledged (back-pressure)', async () => {
    const { sink, calls } = controlledSink();
    const publisher = new BatchingPublisher(sink, { logger: quiet, maxBuffered: 2 });
    await publisher.enqueue(message(1));
    await publisher.enqueue(message(2));
    let third = false;
    const enqueueing = publisher.enqueue(message(3)).then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    calls[0].resolve();
    await enqueueing;
    expect(third).toBe(true);
    publisher.stop();
  });
});
