import type { CommandEnvelope, CommandResult, EnvelopeActor } from '@tickets/contracts';
import { NotFoundError, ValidationError } from '@tickets/domain';
import type { TicketDocument, TicketsReadModel } from '@tickets/read-models';
import type { CommandBus } from '../commands/command-bus';
import { DmartException } from '../errors/dmart-exception';
import { ManagedController, toDmartRecord } from './managed.controller';
import type { ManagedRequestDto, RecordDto } from './managed-request.dto';
import type { ReadWait, ReadYourWrites } from './read-your-writes';

const alice: EnvelopeActor = { shortname: 'alice', roles: ['agent'], groups: [] };

const timeout = (envelope: CommandEnvelope) =>
  new DmartException(
    { type: 'internal', code: 99, message: `no result for command ${envelope.command_id} within 10 ms; it may still take effect: resend …` },
    504,
  );

/** A bus that answers each command with `answer(envelope)` (a result, or a thrown DmartException). */
function fakeBus(answer: (envelope: CommandEnvelope) => CommandResult) {
  const sent: CommandEnvelope[] = [];
  const bus = {
    send: async (envelope: CommandEnvelope) => {
      sent.push(envelope);
      return answer(envelope);
    },
  } as unknown as CommandBus;
  return { bus, sent };
}

const controller = (bus: CommandBus, doc: TicketDocument | null = null, wait: ReadWait = { reached: true }) =>
  new ManagedController(
    bus,
    { findByKey: async () => doc } as unknown as TicketsReadModel,
    { waitFor: async () => wait } as unknown as ReadYourWrites,
  );

const ticketRecord = (shortname: string): RecordDto => ({ resource_type: 'ticket', shortname, subpath: 'tickets', attributes: { workflow_shortname: 'support' } });
const request = (request_type: ManagedRequestDto['request_type'], ...records: RecordDto[]): ManagedRequestDto => ({ space_name: 'acme', request_type, records });
const succeeded = (envelope: CommandEnvelope, extra: Partial<CommandResult> = {}): CommandResult => ({
  command_id: envelope.command_id,
  status: 'succeeded',
  ticket: { uuid: 'u-1', shortname: envelope.shortname, subpath: 'tickets', state: 'draft' },
  position: '9',
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<DmartException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DmartException);
    return error as DmartException;
  }
  throw new Error('expected a DmartException');
}

describe('POST /managed/request', () => {
  it('fails only the record that timed out in a multi-record request (430), saying it may still take effect', async () => {
    const { bus } = fakeBus((e) => {
      if (e.shortname === 'slow') throw timeout(e);
      return succeeded(e);
    });
    const error = await failure(controller(bus).request(request('create', ticketRecord('quick'), ticketRecord('slow')), alice));
    expect(error.getStatus()).toBe(400);
    expect(error.dmartError.code).toBe(430);
    const [info] = error.dmartError.info as any[];
    expect(info.successfull).toEqual([expect.objectContaining({ shortname: 'quick', subpath: 'tickets' })]);
    expect(info.failed).toEqual([{ record: 'slow', error_code: 99, error: expect.stringMatching(/may still take effect/) }]);
  });

  it('answers a single record that timed out with 504', async () => {
    const { bus } = fakeBus((e) => {
      throw timeout(e);
    });
    const error = await failure(controller(bus).request(request('create', ticketRecord('slow')), alice));
    expect(error.getStatus()).toBe(504);
    expect(error.dmartError.code).toBe(99);
  });

  it('derives command ids from the Idempotency-Key, the actor and the record index; random without one', async () => {
    const { bus, sent } = fakeBus((e) => succeeded(e));
    const twice = request('create', ticketRecord('a1'), ticketRecord('a2'));
    await controller(bus).request(twice, alice, 'order-1');
    await controller(bus).request(twice, alice, 'order-1');
    await controller(bus).request(twice, { ...alice, shortname: 'bob' }, 'order-1');
    await controller(bus).request(twice, alice);
    await controller(bus).request(twice, alice);
    const ids = sent.map((e) => e.command_id);
    expect(ids.slice(2, 4)).toEqual(ids.slice(0, 2));
    expect(ids[0]).not.toBe(ids[1]);
    expect(new Set([...ids.slice(0, 2), ...ids.slice(4)]).size).toBe(8);
    expect(sent[0].causation_id).toBe(ids[0]);
  });

  it('refuses an Idempotency-Key over 128 characters with 422', async () => {
    const { bus, sent } = fakeBus((e) => succeeded(e));
    await expect(controller(bus).request(request('create', ticketRecord('a1')), alice, 'k'.repeat(129))).rejects.toThrow(ValidationError);
    expect(sent).toEqual([]);
  });

  it('answers a created comment as the comment record, not the ticket', async () => {
    const comment = {
      uuid: 'c-uuid',
      shortname: '1a2b3c4d',
      subpath: 'tickets/t1',
      owner_shortname: 'alice',
      created_at: '2026-01-01T00:00:00.000Z',
      payload: { content_type: 'comment', body: 'any news?' },
    };
    const { bus, sent } = fakeBus((e) => succeeded(e, { resource: comment }));
    const answer = await controller(bus).request(
      request('create', { resource_type: 'comment', shortname: 'auto', subpath: 'tickets/t1', attributes: { payload: { body: 'any news?' } } }),
      alice,
    );
    expect(sent[0]).toMatchObject({ type: 'AddComment', subpath: 'tickets', shortname: 't1' });
    expect(answer.records).toEqual([
      {
        resource_type: 'comment',
        uuid: 'c-uuid',
        shortname: '1a2b3c4d',
        subpath: 'tickets/t1',
        attributes: {
          owner_shortname: 'alice',
          created_at: '2026-01-01T00:00:00.000Z',
          payload: { content_type: 'comment', body: 'any news?' },
          position: '9',
        },
      },
    ]);
  });

  it('keeps shortname and subpath of a deleted ticket (a result without a view), also in the 430 list', async () => {
    const { bus } = fakeBus((e) =>
      e.shortname === 'gone' ? { command_id: e.command_id, status: 'rejected', error: { type: 'request', code: 220, message: 'not found' } } : { command_id: e.command_id, status: 'succeeded', position: '12' },
    );
    const single = await controller(bus).request(request('delete', { resource_type: 'ticket', shortname: 'abc', subpath: '/tickets/' }), alice);
    expect(single.records).toEqual([{ resource_type: 'ticket', shortname: 'abc', subpath: 'tickets', attributes: { position: '12' } }]);
    const error = await failure(
      controller(bus).request(request('delete', { resource_type: 'ticket', shortname: 'abc', subpath: 'tickets' }, { resource_type: 'ticket', shortname: 'gone', subpath: 'tickets' }), alice),
    );
    const [info] = error.dmartError.info as any[];
    expect(info.successfull).toEqual([{ resource_type: 'ticket', shortname: 'abc', subpath: 'tickets', attributes: { position: '12' } }]);
    expect(info.failed).toEqual([{ record: 'gone', error: 'not found', error_code: 220 }]);
  });
});

describe('the Dmart record of a result', () => {
  const record = { resource_type: 'content', shortname: 'workflow_101', subpath: 'workflows' } as const;

  it('renders a definition (a result with only `resource`)', () => {
    const result: CommandResult = {
      command_id: 'c',
      status: 'succeeded',
      resource: { shortname: 'workflow_101', subpath: 'workflows', version: 2, name: 'Support' },
      position: '3',
    };
    expect(toDmartRecord(record, result)).toEqual({
      resource_type: 'content',
      shortname: 'workflow_101',
      subpath: 'workflows',
      attributes: { version: 2, name: 'Support', position: '3' },
    });
  });

  it('renders the ticket of a ticket command', () => {
    const result: CommandResult = { command_id: 'c', status: 'succeeded', ticket: { uuid: 'u', shortname: 'moved', subpath: 'archive', state: 'draft' } };
    expect(toDmartRecord({ resource_type: 'ticket', shortname: 't1', subpath: 'tickets' }, result)).toEqual({
      resource_type: 'ticket',
      uuid: 'u',
      shortname: 'moved',
      subpath: 'archive',
      attributes: { state: 'draft' },
    });
  });
});

describe('GET /managed/entry/ticket', () => {
  it('answers 503 when the ticket is missing and the read model has not reached the awaited position', async () => {
    const { bus } = fakeBus((e) => succeeded(e));
    const error = await failure(controller(bus, null, { reached: false, position: 42n }).entry('acme', ['tickets', 't1']));
    expect(error.getStatus()).toBe(503);
    expect(error.dmartError).toEqual({
      type: 'internal',
      code: 99,
      message: expect.stringContaining('has not caught up to position 42 yet'),
      info: [{ position: '42' }],
    });
  });

  it('answers 404 when the ticket is missing and the read model is up to date', async () => {
    const { bus } = fakeBus((e) => succeeded(e));
    await expect(controller(bus, null, { reached: true, position: 42n }).entry('acme', ['tickets', 't1'])).rejects.toThrow(NotFoundError);
    await expect(controller(bus, null, { reached: true }).entry('acme', ['tickets', 't1'])).rejects.toThrow(NotFoundError);
  });
});
