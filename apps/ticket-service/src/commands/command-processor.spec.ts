import { loadConfig } from '@tickets/config';
import { streamIds, topicNames } from '@tickets/contracts';
import { GroupCommitEventStore, InMemoryEventStore } from '@tickets/event-store';
import type { KafkaPublisher } from '@tickets/messaging';
import { envelope, SUPPORT_WORKFLOW, ADMIN } from '@tickets/testing';
import { ResourceResolver } from '../application/resource-resolver';
import { CommandDispatcher } from './command-dispatcher';
import { CommandMetrics } from './command-metrics';
import { CommandProcessor, type CommandMessage } from './command-processor';

/**
 * The batch flow of the processor (ordering per key, recorded answers, poison messages) on the in-memory event
 * store and a recording publisher; the same against real Kafka and PostgreSQL: batch-consumption.e2e.spec.ts.
 */
describe('CommandProcessor.processBatch', () => {
  const topics = topicNames('');
  const metrics = new CommandMetrics();
  const space = 'unit_space';
  const key = (shortname: string) => ({ space_name: space, subpath: 'tickets', shortname });
  let inner: InMemoryEventStore;
  let published: { topic: string; key: string; bytes: string }[];
  let processor: CommandProcessor;
  let offset = 0;

  const messages = (...values: unknown[]): CommandMessage[] =>
    values.map((value) => {
      const envelopeKey =
        typeof value === 'object' && value && 'shortname' in value
          ? `${space}/tickets/${(value as { shortname: string }).shortname}`
          : 'poison';
      return {
        topic: topics.commands,
        partition: 0,
        offset: String(offset++),
        key: envelopeKey,
        value: typeof value === 'string' ? value : JSON.stringify(value),
      };
    });
  const results = (commandId: string) =>
    published.filter((p) => p.topic === topics.commandResults && p.key === commandId).map((p) => p.bytes);

  beforeEach(async () => {
    inner = new InMemoryEventStore();
    published = [];
    const store = new GroupCommitEventStore(inner);
    const config = loadConfig({});
    const publisher = {
      publish: async (topic: string, k: string, value: unknown) => {
        published.push({ topic, key: k, bytes: JSON.stringify(value) });
      },
    } as unknown as KafkaPublisher;
    const dispatcher = new CommandDispatcher(store, config, new ResourceResolver(store), metrics);
    processor = new CommandProcessor(store, publisher, dispatcher, metrics, topics);
    const workflow = envelope(
      'DefineWorkflow',
      { space_name: space, subpath: 'workflows', shortname: 'support' },
      { mode: 'create', body: SUPPORT_WORKFLOW },
      ADMIN,
    );
    await Promise.all(processor.processBatch(messages(workflow)));
  });

  describe('when one batch holds several commands for one ticket', () => {
    it('applies them in message order, other tickets alongside', async () => {
      const batch = ['a', 'b'].flatMap((shortname) => [
        envelope('CreateTicket', key(shortname), { workflow_shortname: 'support' }),
        envelope('ProgressTicket', key(shortname), { action: 'start' }),
        envelope('ProgressTicket', key(shortname), { action: 'resolve', resolution: 'fixed' }),
      ]);
      const answers = await Promise.all(processor.processBatch(messages(...batch)));
      expect(answers.map((a) => a.status)).toEqual(batch.map(() => 'succeeded'));
      const types = (await inner.readStream(streamIds.ticket(key('a')))).map((e) => e.type);
      expect(types).toEqual(['TicketCreated', 'TicketProgressed', 'TicketProgressed']);
    });
  });

  describe('when a poison message sits between two commands of one ticket', () => {
    it('dead-letters it and answers each neighbour once', async () => {
      const create = envelope('CreateTicket', key('p'), { workflow_shortname: 'support' });
      const start = envelope('ProgressTicket', key('p'), { action: 'start' });
      const answers = await Promise.all(processor.processBatch(messages(create, '{not json', start)));
      expect(answers.map((a) => a.status)).toEqual(['succeeded', 'rejected', 'succeeded']);
      expect(published.filter((p) => p.topic === topics.commandsDlq)).toHaveLength(1);
      expect(results(create.command_id)).toHaveLength(1);
      expect(results(start.command_id)).toHaveLength(1);
    });
  });

  describe('when a command is delivered twice in one batch and again in the next', () => {
    it('has one effect and publishes the same bytes each time, refusals included', async () => {
      const create = envelope('CreateTicket', key('d'), {
        workflow_shortname: 'support',
        payload: { content_type: 'json', body: { z: 1, a: 2 } },
      });
      const refused = envelope('ProgressTicket', key('d'), { action: 'resolve' });
      await Promise.all(processor.processBatch(messages(create, create, refused, refused)));
      const start = envelope('ProgressTicket', key('d'), { action: 'start' });
      await Promise.all(processor.processBatch(messages(start, create, refused)));

      const created = results(create.command_id);
      const refusals = results(refused.command_id);
      expect(created).toHaveLength(3);
      expect(new Set(created).size).toBe(1);
      expect(refusals).toHaveLength(3);
      expect(new Set(refusals).size).toBe(1);
      expect(JSON.parse(refusals[0])).toMatchObject({ status: 'rejected', error: { code: 300 } });
      expect((await inner.readStream(streamIds.ticket(key('d')))).map((e) => e.type)).toEqual([
        'TicketCreated',
        'TicketProgressed',
      ]);
    });
  });

  describe('when the store fails for one command', () => {
    it('rejects it and the later commands of its ticket without running them, and answers other tickets', async () => {
      const failing = envelope('CreateTicket', key('f'), { workflow_shortname: 'support' });
      const after = envelope('ProgressTicket', key('f'), { action: 'start' });
      const other = envelope('CreateTicket', key('o'), { workflow_shortname: 'support' });
      const append = inner.appendMany.bind(inner);
      jest
        .spyOn(inner, 'appendMany')
        .mockImplementation(async (requests) =>
          Promise.all(
            requests.map(async (r) =>
              r.stream_id === streamIds.ticket(key('f'))
                ? { ok: false as const, error: new Error('connection lost') }
                : (await append([r]))[0],
            ),
          ),
        );
      jest.spyOn(inner, 'ping').mockRejectedValue(new Error('connection lost'));
      const outcomes = await Promise.allSettled(processor.processBatch(messages(failing, after, other)));
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
      expect(results(failing.command_id)).toEqual([]);
      expect(results(after.command_id)).toEqual([]);
      expect(await inner.readStream(streamIds.ticket(key('f')))).toEqual([]);
    });
  });
});
