import type { ProducerBatch } from 'kafkajs';
import {
  KafkaPublisher,
  PublisherClosedError,
  PublishQueueFullError,
  type PublisherBatching,
  type ProducerClient,
} from './kafka-publisher';

/** A producer whose every `sendBatch` waits until the test acknowledges or fails it. */
function fakeProducer() {
  const batches: { batch: ProducerBatch; ack: () => void; fail: (error: Error) => void }[] = [];
  let closed = false;
  let connectFailures = 0;
  const producer = {
    sendBatch: (batch: ProducerBatch) =>
      new Promise<never[]>((resolve, reject) =>
        batches.push({ batch, ack: () => resolve([]), fail: reject }),
      ),
  };
  const client: ProducerClient = {
    connect: () =>
      connectFailures-- > 0 ? Promise.reject(new Error('broker unreachable')) : Promise.resolve(producer),
    close: async () => {
      closed = true;
    },
  };
  return {
    client,
    batches,
    isClosed: () => closed,
    failConnects: (times: number) => (connectFailures = times),
    /** `[topic, key, value]` of each message of batch `n`, in the order sent. */
    messagesOf: (n: number) =>
      (batches[n].batch.topicMessages ?? []).flatMap(({ topic, messages }) =>
        messages.map((m) => [topic, m.key, JSON.parse(String(m.value))]),
      ),
  };
}

/** A clock the test advances: `schedule` only records, `elapse` runs what is due. */
function manualClock() {
  const timers = new Set<{ run: () => void; ms: number }>();
  return {
    schedule: (run: () => void, ms: number) => {
      const timer = { run, ms };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    pending: () => [...timers].map((t) => t.ms),
    elapse: () => {
      const due = [...timers];
      timers.clear();
      for (const timer of due) timer.run();
    },
  };
}

/** Lets promise callbacks (acknowledgements, resolutions) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Observes a promise without leaving a rejection unhandled. */
function watch(promise: Promise<void>) {
  const state: { status: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { status: 'pending' };
  promise.then(
    () => (state.status = 'resolved'),
    (error: unknown) => Object.assign(state, { status: 'rejected', error }),
  );
  return state;
}

function setUp(batching: Partial<PublisherBatching> = {}) {
  const producer = fakeProducer();
  const clock = manualClock();
  const publisher = new KafkaPublisher(producer.client, {
    lingerMs: 3,
    batchMax: 100,
    batchMaxBytes: 1_000_000,
    queueMax: 1000,
    schedule: clock.schedule,
    ...batching,
  });
  return { producer, clock, publisher };
}

describe('the Kafka publisher', () => {
  describe('when several publishes arrive while it is idle', () => {
    it('sends them as one batch once the linger elapsed, grouped by topic, in call order', async () => {
      const { producer, clock, publisher } = setUp();
      void publisher.publish('commands', 'a/t/1', { n: 1 });
      void publisher.publish('results', 'c1', { n: 2 });
      void publisher.publish('commands', 'a/t/2', { n: 3 }, { 'x-trace': 'abc' });
      await settle();
      expect(producer.batches).toHaveLength(0);
      expect(clock.pending()).toEqual([3]);

      clock.elapse();
      await settle();
      expect(producer.batches).toHaveLength(1);
      expect(producer.batches[0].batch.topicMessages?.map((t) => t.topic)).toEqual(['commands', 'results']);
      expect(producer.messagesOf(0)).toEqual([
        ['commands', 'a/t/1', { n: 1 }],
        ['commands', 'a/t/2', { n: 3 }],
        ['results', 'c1', { n: 2 }],
      ]);
      expect(producer.batches[0].batch.topicMessages?.[0].messages[1].headers).toEqual({ 'x-trace': 'abc' });
    });

    it('sends a full batch at once, without lingering', async () => {
      const { producer, clock, publisher } = setUp({ batchMax: 3 });
      for (let n = 1; n <= 3; n++) void publisher.publish('commands', 'k', { n });
      await settle();
      expect(producer.batches).toHaveLength(1);
      expect(producer.messagesOf(0).map(([, , v]) => v.n)).toEqual([1, 2, 3]);
      expect(clock.pending()).toEqual([]);
    });

    it('keeps a batch under batchMaxBytes, sending a single larger message alone', async () => {
      const { producer, clock, publisher } = setUp({ batchMaxBytes: 40 });
      void publisher.publish('commands', 'k', { text: 'x'.repeat(10) }); // 21 + 1 bytes
      void publisher.publish('commands', 'k', { text: 'y'.repeat(10) }); // 22 more: over 40
      void publisher.publish('commands', 'k', { text: 'z'.repeat(100) });
      await settle();
      // The bytes queued reached the bound: the first batch leaves without lingering.
      expect(producer.batches).toHaveLength(1);
      expect(producer.messagesOf(0).map(([, , v]) => v.text[0])).toEqual(['x']);
      producer.batches[0].ack();
      await settle();
      expect(producer.messagesOf(1).map(([, , v]) => v.text[0])).toEqual(['y']);
      producer.batches[1].ack();
      await settle();
      expect(producer.messagesOf(2).map(([, , v]) => v.text[0])).toEqual(['z']);
      expect(clock.pending()).toEqual([]);
    });
  });

  describe('while a batch is in flight', () => {
    it('sends no other batch, and sends everything queued meanwhile as soon as it is acknowledged', async () => {
      const { producer, clock, publisher } = setUp({ batchMax: 2 });
      void publisher.publish('commands', 'k', { n: 1 });
      void publisher.publish('commands', 'k', { n: 2 });
      await settle();
      for (let n = 3; n <= 5; n++) void publisher.publish('commands', 'k', { n });
      await settle();
      expect(producer.batches).toHaveLength(1);
      expect(clock.pending()).toEqual([]);

      producer.batches[0].ack();
      await settle();
      expect(producer.batches).toHaveLength(2);
      expect(producer.messagesOf(1).map(([, , v]) => v.n)).toEqual([3, 4]);
      producer.batches[1].ack();
      await settle();
      expect(producer.messagesOf(2).map(([, , v]) => v.n)).toEqual([5]);
    });

    it('keeps the order of one key across batches', async () => {
      const { producer, publisher } = setUp({ batchMax: 7 });
      const published = Array.from({ length: 50 }, (_, n) =>
        publisher.publish('commands', n % 2 ? 'odd' : 'even', { n }),
      );
      for (let sent = 0; sent < 50;) {
        await settle();
        const batch = producer.batches.at(-1)!;
        sent += batch.batch.topicMessages![0].messages.length;
        batch.ack();
      }
      await Promise.all(published);
      const sent = producer.batches.flatMap((_, i) => producer.messagesOf(i));
      expect(sent.filter(([, key]) => key === 'odd').map(([, , v]) => v.n)).toEqual(
        [...Array(25).keys()].map((i) => 2 * i + 1),
      );
      expect(sent.filter(([, key]) => key === 'even').map(([, , v]) => v.n)).toEqual(
        [...Array(25).keys()].map((i) => 2 * i),
      );
    });
  });

  describe('each publish', () => {
    it('resolves only once the broker acknowledged its own batch', async () => {
      const { producer, clock, publisher } = setUp();
      const first = watch(publisher.publish('commands', 'k', 1));
      clock.elapse();
      await settle();
      const second = watch(publisher.publish('commands', 'k', 2));
      await settle();
      expect([first.status, second.status]).toEqual(['pending', 'pending']);

      producer.batches[0].ack();
      await settle();
      expect([first.status, second.status]).toEqual(['resolved', 'pending']);
      producer.batches[1].ack();
      await settle();
      expect(second.status).toBe('resolved');
    });

    it('rejects with the producer error when its batch failed, the next batch being sent all the same', async () => {
      const { producer, clock, publisher } = setUp();
      const failed = [
        watch(publisher.publish('commands', 'k', 1)),
        watch(publisher.publish('commands', 'k', 2)),
      ];
      clock.elapse();
      await settle();
      const next = watch(publisher.publish('commands', 'k', 3));
      producer.batches[0].fail(new Error('NOT_LEADER_FOR_PARTITION'));
      await settle();
      expect(failed.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect((failed[0].error as Error).message).toBe('NOT_LEADER_FOR_PARTITION');

      producer.batches[1].ack();
      await settle();
      expect(next.status).toBe('resolved');
    });

    it('rejects when the producer cannot connect, and the next batch connects again', async () => {
      const { producer, clock, publisher } = setUp();
      producer.failConnects(1);
      const failed = watch(publisher.publish('commands', 'k', 1));
      clock.elapse();
      await settle();
      expect(failed.status).toBe('rejected');
      expect((failed.error as Error).message).toBe('broker unreachable');

      const next = watch(publisher.publish('commands', 'k', 2));
      clock.elapse();
      await settle();
      producer.batches[0].ack();
      await settle();
      expect(next.status).toBe('resolved');
    });
  });

  describe('when a value cannot be serialised', () => {
    it('rejects that publish only, queueing nothing', async () => {
      const { producer, clock, publisher } = setUp();
      await expect(publisher.publish('commands', 'k', { position: 1n })).rejects.toThrow(TypeError);
      const fine = watch(publisher.publish('commands', 'k', { position: '1' }));
      clock.elapse();
      await settle();
      producer.batches[0].ack();
      await settle();
      expect(producer.messagesOf(0)).toEqual([['commands', 'k', { position: '1' }]]);
      expect(fine.status).toBe('resolved');
    });
  });

  describe('when queueMax messages already wait', () => {
    it('refuses another publish at once with PublishQueueFullError, and accepts again once the queue drained', async () => {
      const { producer, publisher } = setUp({ batchMax: 2, queueMax: 3 });
      const published = [1, 2, 3, 4, 5].map((n) => watch(publisher.publish('commands', 'k', n)));
      await settle();
      // 1 and 2 in flight, 3 to 5 waiting: the queue is full.
      const refused = watch(publisher.publish('commands', 'k', 6));
      await settle();
      expect(refused.status).toBe('rejected');
      expect(refused.error).toBeInstanceOf(PublishQueueFullError);
      expect((refused.error as Error).message).toMatch(/queue full \(3 messages/);
      expect(published.map((s) => s.status)).toEqual(Array(5).fill('pending'));

      producer.batches[0].ack();
      await settle();
      const accepted = watch(publisher.publish('commands', 'k', 7));
      producer.batches[1].ack();
      await settle();
      producer.batches[2].ack();
      await settle();
      expect(accepted.status).toBe('resolved');
      expect(producer.batches.flatMap((_, i) => producer.messagesOf(i)).map(([, , v]) => v)).toEqual([
        1, 2, 3, 4, 5, 7,
      ]);
    });
  });

  describe('on shutdown', () => {
    it('sends what is queued, waits for its acknowledgement, closes the client and refuses later publishes', async () => {
      const { producer, publisher } = setUp();
      const queued = watch(publisher.publish('commands', 'k', 1));
      const closing = publisher.onApplicationShutdown();
      await settle();
      expect(producer.batches).toHaveLength(1);
      expect(producer.isClosed()).toBe(false);
      const late = watch(publisher.publish('commands', 'k', 2));

      producer.batches[0].ack();
      await closing;
      expect(queued.status).toBe('resolved');
      expect(producer.isClosed()).toBe(true);
      expect(late.error).toBeInstanceOf(PublisherClosedError);
    });
  });
});
