import { loadConfig } from '@tickets/config';
import {
  checkCommandEnvelope,
  type CommandEnvelope,
  type CommandResult,
  type EnvelopeActor,
} from '@tickets/contracts';
import { ValidationError } from '@tickets/domain';
import type { TicketsReadModel } from '@tickets/read-models';
import type { CommandBus } from '../commands/command-bus';
import { ManagedController } from './managed.controller';
import type { ReadYourWrites } from './read-your-writes';
import { translateRecord } from './request-translator';

const admin: EnvelopeActor = { shortname: 'root', roles: ['super_admin'], groups: [] };
const commandOf = (action: ReturnType<typeof translateRecord>): CommandEnvelope => {
  if (action.kind !== 'command') throw new Error('expected a command');
  return action.envelope;
};

describe('user records of a Dmart request', () => {
  const user = (
    requestType: 'create' | 'update' | 'delete',
    attributes: Record<string, unknown> = {},
    space = 'management',
  ) =>
    translateRecord(
      space,
      requestType,
      { resource_type: 'user', shortname: 'dana', subpath: 'users', attributes },
      admin,
      'corr',
    );

  it('become DefineUser with the known attributes and the hash the caller made, never the clear password', () => {
    const envelope = commandOf(
      translateRecord(
        'management',
        'create',
        {
          resource_type: 'user',
          shortname: 'dana',
          subpath: 'users',
          attributes: { password: 'Secret-Horse-1', roles: ['agent'], is_active: true, shoe_size: 42 },
        },
        admin,
        'corr',
        undefined,
        { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' },
      ),
    );
    expect(envelope).toMatchObject({
      type: 'DefineUser',
      space_name: 'management',
      subpath: 'users',
      shortname: 'dana',
    });
    expect(envelope.payload).toEqual({
      mode: 'create',
      changes: {
        roles: ['agent'],
        is_active: true,
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      },
    });
    expect(JSON.stringify(envelope)).not.toContain('Secret-Horse-1');
    expect(checkCommandEnvelope(envelope).ok).toBe(true);
  });

  it('an update (e.g. deactivation) is DefineUser in update mode; a delete is DeleteUser', () => {
    expect(commandOf(user('update', { is_active: false })).payload).toEqual({
      mode: 'update',
      changes: { is_active: false },
    });
    const deleted = commandOf(user('delete'));
    expect(deleted).toMatchObject({ type: 'DeleteUser', payload: {} });
    expect(checkCommandEnvelope(deleted).ok).toBe(true);
  });

  it('are refused outside the management space with code 422', () => {
    expect(() => user('create', {}, 'acme')).toThrow(ValidationError);
  });

  it('the envelope check refuses a DefineUser carrying a clear password field', () => {
    const envelope = commandOf(user('create', { roles: ['agent'] }));
    const smuggled = { ...envelope, payload: { mode: 'create', changes: { password: 'Secret-Horse-1' } } };
    expect(checkCommandEnvelope(smuggled).ok).toBe(false);
  });
});

describe('comment records of a Dmart request', () => {
  const comment = (attributes: Record<string, unknown>) =>
    commandOf(
      translateRecord(
        'acme',
        'create',
        { resource_type: 'comment', shortname: 'auto', subpath: 'tickets/t1', attributes },
        admin,
        'corr',
      ),
    );

  it("accept Dmart's shape: payload {content_type: json|comment, body: {body, state}}", () => {
    for (const content_type of ['json', 'comment']) {
      const envelope = comment({
        is_active: true,
        payload: { content_type, body: { body: 'called back', state: 'in_progress' } },
      });
      expect(envelope).toMatchObject({
        type: 'AddComment',
        subpath: 'tickets',
        shortname: 't1',
        payload: { shortname: 'auto', body: 'called back' },
      });
      expect(checkCommandEnvelope(envelope).ok).toBe(true);
    }
  });

  it('still accept a plain-string body', () => {
    expect(comment({ payload: { content_type: 'comment', body: 'plain' } }).payload).toEqual({
      shortname: 'auto',
      body: 'plain',
    });
  });

  it('leave any other body to the envelope check, which names the path', () => {
    const check = checkCommandEnvelope(
      comment({ payload: { content_type: 'json', body: { text: 'no body field' } } }),
    );
    expect(check.ok).toBe(false);
  });
});

describe('POST /managed/request with a user record', () => {
  it('hashes the password with argon2id before the command leaves the gateway', async () => {
    const sent: CommandEnvelope[] = [];
    const bus = {
      send: async (envelope: CommandEnvelope): Promise<CommandResult> => {
        sent.push(envelope);
        return {
          command_id: envelope.command_id,
          status: 'succeeded',
          resource: { shortname: 'dana', subpath: 'users', roles: ['agent'] },
        };
      },
    } as unknown as CommandBus;
    const controller = new ManagedController(bus, {} as TicketsReadModel, {} as ReadYourWrites);
    const answer = await controller.request(
      {
        space_name: 'management',
        request_type: 'create',
        records: [
          {
            resource_type: 'user',
            shortname: 'dana',
            subpath: 'users',
            attributes: { password: 'Secret-Horse-1' },
          },
        ],
      },
      admin,
    );
    expect(answer.status).toBe('success');
    const changes = (sent[0].payload as { changes: Record<string, string> }).changes;
    expect(changes['password_hash']).toMatch(/^\$argon2id\$v=19\$/);
    expect(JSON.stringify(sent[0])).not.toContain('Secret-Horse-1');
  });

  it('does not spend a hash on an actor who cannot be an admin (no admin token role, no groups): ticket-service refuses it', async () => {
    const sent: CommandEnvelope[] = [];
    const bus = {
      send: async (envelope: CommandEnvelope): Promise<CommandResult> => {
        sent.push(envelope);
        return {
          command_id: envelope.command_id,
          status: 'rejected',
          error: { type: 'auth', code: 401, message: 'defining users requires…' },
        };
      },
    } as unknown as CommandBus;
    const controller = new ManagedController(
      bus,
      {} as TicketsReadModel,
      {} as ReadYourWrites,
      loadConfig({}),
    );
    const agent: EnvelopeActor = { shortname: 'alice', roles: ['agent'], groups: [] };
    await expect(
      controller.request(
        {
          space_name: 'management',
          request_type: 'create',
          records: [
            {
              resource_type: 'user',
              shortname: 'dana',
              subpath: 'users',
              attributes: { password: 'Secret-Horse-1', roles: ['super_admin'] },
            },
          ],
        },
        agent,
      ),
    ).rejects.toMatchObject({ dmartError: { code: 401 } });
    expect((sent[0].payload as { changes: Record<string, unknown> }).changes).toEqual({
      roles: ['super_admin'],
    });
  });

  it('refuses a password of the wrong length with 422 and sends nothing', async () => {
    const sent: CommandEnvelope[] = [];
    const bus = { send: async (e: CommandEnvelope) => sent.push(e) } as unknown as CommandBus;
    const controller = new ManagedController(bus, {} as TicketsReadModel, {} as ReadYourWrites);
    await expect(
      controller.request(
        {
          space_name: 'management',
          request_type: 'create',
          records: [
            {
              resource_type: 'user',
              shortname: 'dana',
              subpath: 'users',
              attributes: { password: 'x'.repeat(10_000) },
            },
          ],
        },
        admin,
      ),
    ).rejects.toMatchObject({ dmartError: { code: 422 } });
    expect(sent).toEqual([]);
  });
});
