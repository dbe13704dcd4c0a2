import { Logger } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import type { CommandEnvelope, CommandResult, TopicNames } from '@tickets/contracts';
import { KafkaPublisher } from '@tickets/messaging';
import { DmartException } from '../errors/dmart-exception';
import { CommandBus, commandKey } from './command-bus';

const TIMEOUT_MS = 40;

const envelope = (overrides: Partial<CommandEnvelope> = {}): CommandEnvelope => ({
  command_id: '5f0c8e52-4a43-4a4e-9a8d-3f3b2f8a9c11',
  type: 'ProgressTicket',
  space_name: 'acme',
  subpath: 'tickets',
  shortname: 't1',
  actor: { shortname: 'alice', roles: ['agent'], groups: [] },
  issued_at: '2026-01-01T00:00:00.000Z',
  correlation_id: 'c1',
  payload: { action: 'start' },
  ...overrides,
});

/** A publisher whose every publish answers as `behaviour` says, remembering what it was asked. */
function fakePublisher(behaviour: () => Promise<void>) {
  const published: { topic: string; key: string; value: unknown }[] = [];
  const publisher = {
    publish: (topic: string, key: string, value: unknown) => {
      published.push({ topic, key, value });
      return behaviour();
    },
  } as unknown as KafkaPublisher;
  return { publisher, published };
}

const busWith = (publisher: KafkaPublisher) =>
  new CommandBus(publisher, { COMMAND_TIMEOUT_MS: TIMEOUT_MS } as AppConfig, { commands: 'tickets.commands.v1' } as TopicNames);

const never = () => new Promise<void>(() => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails the test if any promise is rejected and nobody handles it (that exits a Node process). */
function unhandledRejections() {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  return { seen, stop: () => process.off('unhandledRejection', listener) };
}

async function failure(promise: Promise<unknown>): Promise<DmartException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DmartException);
    return error as DmartException;
  }
  throw new Error('expected a DmartException');
}

describe('the command bus', () => {
  beforeAll(() => Logger.overrideLogger(false));
  let rejections: ReturnType<typeof unhandledRejections>;
  beforeEach(() => (rejections = unhandledRejections()));
  afterEach(async () => {
    await sleep(10);
    rejections.stop();
    expect(rejections.seen).toEqual([]);
  });

  it('answers 504 in Dmart envelope at COMMAND_TIMEOUT_MS while the publish still hangs (Kafka down)', async () => {
    const bus = busWith(fakePublisher(never).publisher);
    const started = Date.now();
    const error = await failure(bus.send(envelope()));
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
    expect(error.getStatus()).toBe(504);
    expect(error.getResponse()).toEqual({
      status: 'failed',
      error: expect.objectContaining({ type: 'internal', code: 99, info: [{ command_id: envelope().command_id }] }),
    });
    expect(error.dmartError.message).toMatch(/may still take effect.*same Idempotency-Key/);
  });

  it('answers 503 in Dmart envelope when the publish fails, before the time-out', async () => {
    const bus = busWith(fakePublisher(() => Promise.reject(new Error('Connection error: ECONNREFUSED'))).publisher);
    const error = await failure(bus.send(envelope()));
    expect(error.getStatus()).toBe(503);
    expect(error.getResponse()).toMatchObject({ status: 'failed', error: { type: 'internal', code: 99 } });
    expect(error.dmartError.message).toMatch(/Kafka unavailable.*ECONNREFUSED/);
  });

  it('answers 503 at once, without waiting for the time-out, when the batching publisher queue is full', async () => {
    // The real publisher on a producer whose batches never end: Kafka down while the client retries.
    const producer = { sendBatch: () => new Promise<never>(() => undefined) };
    const client = { connect: async () => producer, close: async () => undefined };
    const publisher = new KafkaPublisher(client, { lingerMs: 0, batchMax: 1, batchMaxBytes: 1 << 20, queueMax: 2 });
    const bus = busWith(publisher);
    // The first command is in flight, the next two wait: the queue is full.
    const waiting = [1, 2, 3].map((n) => failure(bus.send(envelope({ command_id: `c${n}` }))));
    await sleep(1);
    // A 504 would mean it waited for the time-out.
    const error = await failure(bus.send(envelope({ command_id: 'c4' })));
    expect(error.getStatus()).toBe(503);
    expect(error.dmartError.message).toMatch(/could not be published: Kafka unavailable \(Kafka producer queue full/);
    expect((await Promise.all(waiting)).map((e) => e.getStatus())).toEqual([504, 504, 504]);
  });

  it('leaves no rejection unobserved when the publish fails after the request timed out', async () => {
    let fail: (error: Error) => void = () => undefined;
    const bus = busWith(fakePublisher(() => new Promise<void>((_, reject) => (fail = reject))).publisher);
    const error = await failure(bus.send(envelope()));
    expect(error.getStatus()).toBe(504);
    fail(new Error('KafkaJSNumberOfRetriesExceeded'));
    // afterEach checks that nothing was left rejected unobserved
  });

  it('resolves with the result, also when it arrives before the publish is acknowledged', async () => {
    const { publisher, published } = fakePublisher(never);
    const bus = busWith(publisher);
    const sent = bus.send(envelope());
    const result: CommandResult = { command_id: envelope().command_id, status: 'succeeded', position: '7', resource_path: 'acme/tickets/t1' };
    bus.onResult(result);
    await expect(sent).resolves.toEqual(result);
    expect(published).toEqual([{ topic: 'tickets.commands.v1', key: 'acme/tickets/t1', value: envelope() }]);
    expect(bus.lastPosition('acme/tickets/t1')).toBe(7n);
  });

  it('answers every waiter of one command id (a client resending with the same Idempotency-Key)', async () => {
    const bus = busWith(fakePublisher(() => Promise.resolve()).publisher);
    const first = bus.send(envelope());
    const second = bus.send(envelope());
    await sleep(1);
    const result: CommandResult = { command_id: envelope().command_id, status: 'succeeded' };
    bus.onResult(result);
    await expect(Promise.all([first, second])).resolves.toEqual([result, result]);
  });

  it('keeps waiting for the second waiter when the first one timed out', async () => {
    const bus = busWith(fakePublisher(() => Promise.resolve()).publisher);
    const first = failure(bus.send(envelope()));
    await sleep(TIMEOUT_MS / 2);
    const second = bus.send(envelope());
    expect((await first).getStatus()).toBe(504);
    const result: CommandResult = { command_id: envelope().command_id, status: 'succeeded' };
    bus.onResult(result);
    await expect(second).resolves.toEqual(result);
  });
});

describe('the partition key of a command', () => {
  it('is the resource path', () => {
    expect(commandKey(envelope())).toBe('acme/tickets/t1');
    expect(commandKey(envelope({ subpath: '' }))).toBe('acme/t1');
  });

  it('is the command id for a CreateTicket with shortname auto, so such creates spread over partitions', () => {
    const id = '0a7c2d0e-3b53-4ad2-8a36-4e2b8e3ef0a1';
    expect(commandKey(envelope({ type: 'CreateTicket', shortname: 'auto', command_id: id }))).toBe(`acme/tickets/auto-${id}`);
    expect(commandKey(envelope({ type: 'CreateTicket', shortname: 'printer' }))).toBe('acme/tickets/printer');
  });
});
