import { loadConfig } from '@tickets/config';
import { checkCommandEnvelope, type CommandEnvelope, type CommandResult } from '@tickets/contracts';
import type { UserStreamState } from '@tickets/domain';
import type { CommandBus } from '../commands/command-bus';
import { AdminBootstrap } from './admin-bootstrap';
import type { UserDirectory } from './user-directory';

describe('the first admin (BOOTSTRAP_ADMIN_PASSWORD)', () => {
  function bootstrap(env: Record<string, string>, state: UserStreamState) {
    const sent: CommandEnvelope[] = [];
    const bus = {
      send: async (envelope: CommandEnvelope): Promise<CommandResult> => {
        sent.push(envelope);
        return { command_id: envelope.command_id, status: 'succeeded' };
      },
    } as unknown as CommandBus;
    const users = { find: async () => state } as unknown as UserDirectory;
    return {
      run: () => new AdminBootstrap(loadConfig({ ADMIN_ROLES: 'super_admin,ops', ...env }), users, bus).run(),
      sent,
    };
  }

  it('creates the admin with the first admin role and an argon2id hash, through a DefineUser command', async () => {
    const { run, sent } = bootstrap({ BOOTSTRAP_ADMIN_PASSWORD: 'First-Admin-2026' }, { status: 'absent' });
    await run();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      type: 'DefineUser',
      space_name: 'management',
      subpath: 'users',
      shortname: 'admin',
      actor: { shortname: 'bootstrap', roles: ['super_admin'] },
      payload: {
        mode: 'create',
        changes: { roles: ['super_admin'], password_hash: expect.stringMatching(/^\$argon2id\$/) },
      },
    });
    expect(JSON.stringify(sent[0])).not.toContain('First-Admin-2026');
    expect(checkCommandEnvelope(sent[0]).ok).toBe(true);
  });

  it('uses one command id, so replicas starting together create the admin once', async () => {
    const first = bootstrap({ BOOTSTRAP_ADMIN_PASSWORD: 'First-Admin-2026' }, { status: 'absent' });
    const second = bootstrap({ BOOTSTRAP_ADMIN_PASSWORD: 'First-Admin-2026' }, { status: 'absent' });
    await Promise.all([first.run(), second.run()]);
    expect(first.sent[0].command_id).toBe(second.sent[0].command_id);
  });

  it('does nothing when the user exists or was deleted, or without the variable', async () => {
    const existing = bootstrap(
      { BOOTSTRAP_ADMIN_PASSWORD: 'First-Admin-2026', BOOTSTRAP_ADMIN_SHORTNAME: 'root' },
      { status: 'deleted', shortname: 'root', deleted_at: '2026-01-01T00:00:00.000Z' },
    );
    await existing.run();
    const unset = bootstrap({}, { status: 'absent' });
    await unset.run();
    expect([...existing.sent, ...unset.sent]).toEqual([]);
  });
});
