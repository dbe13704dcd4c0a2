import type { AppConfig } from '@tickets/config';
import type { CommandEnvelope, EnvelopeActor } from '@tickets/contracts';
import { ValidationError } from '@tickets/domain';
import type { CommandBus } from '../commands/command-bus';
import { TicketActionsController } from './ticket-actions.controller';

const alice: EnvelopeActor = { shortname: 'alice', roles: ['agent'], groups: [] };

function actions() {
  const sent: CommandEnvelope[] = [];
  const bus = {
    send: async (envelope: CommandEnvelope) => {
      sent.push(envelope);
      return { command_id: envelope.command_id, status: 'succeeded', ticket: { uuid: 'u', shortname: envelope.shortname, subpath: 'tickets' } };
    },
  } as unknown as CommandBus;
  return { controller: new TicketActionsController(bus, { LOCK_PERIOD_SECONDS: 300 } as AppConfig), sent };
}

describe('ticket actions with an Idempotency-Key', () => {
  it('send the same command id when resent with the same key, and fresh ones without', async () => {
    const { controller, sent } = actions();
    await controller.progress('acme', ['tickets', 't1', 'start'], {}, alice, 'k-1');
    await controller.progress('acme', ['tickets', 't1', 'start'], {}, alice, 'k-1');
    await controller.lock('acme', ['tickets', 't1'], alice, 'k-2');
    await controller.lock('acme', ['tickets', 't1'], alice, 'k-2');
    await controller.unlock('acme', ['tickets', 't1'], alice);
    await controller.unlock('acme', ['tickets', 't1'], alice);
    const ids = sent.map((e) => e.command_id);
    expect(sent.map((e) => e.type)).toEqual(['ProgressTicket', 'ProgressTicket', 'LockTicket', 'LockTicket', 'UnlockTicket', 'UnlockTicket']);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[3]).toBe(ids[2]);
    expect(new Set(ids).size).toBe(4);
  });

  it('refuse a key over 128 characters with 422 before sending anything', async () => {
    const { controller, sent } = actions();
    await expect(controller.lock('acme', ['tickets', 't1'], alice, 'k'.repeat(129))).rejects.toThrow(ValidationError);
    expect(sent).toEqual([]);
  });
});
