import { streamIds, type CommandResult } from '@tickets/contracts';
import {
  groupDecider,
  NotAllowedError,
  schemaDecider,
  userDecider,
  USERS_SUBPATH,
  workflowDecider,
  type DefineMode,
  type Translation,
  type UserChanges,
  type UserStreamState,
} from '@tickets/domain';
import { handleCommand } from '../application/handle-command';
import type { CommandContext, CommandHandler } from './command-context';

/** Subpaths where Dmart keeps these resources; the answer reports them there. */
const SUBPATHS = { workflow: 'workflows', schema: 'schema', group: 'groups', user: USERS_SUBPATH } as const;

function defined(ctx: CommandContext, subpath: string, position: bigint | null, attributes: Record<string, unknown>): CommandResult {
  return {
    command_id: ctx.envelope.command_id,
    status: 'succeeded',
    resource: { shortname: ctx.envelope.shortname, subpath, ...attributes },
    ...(position !== null ? { position: position.toString() } : {}),
    resource_path: `${ctx.envelope.space_name}/${subpath}/${ctx.envelope.shortname}`,
  };
}

/**
 * Workflows, schemas, groups and users shape what every user may do (a group grants roles), so defining them needs
 * one of the `ADMIN_ROLES` among the actor's effective roles.
 * @throws NotAllowedError (401)
 */
function requireAdmin(ctx: CommandContext): void {
  const roles = new Set(ctx.metadata.actor.roles);
  if (!ctx.config.adminRoles.some((role) => roles.has(role))) {
    const what = ctx.envelope.type.replace(/^(Define|Delete)/, '').toLowerCase();
    throw new NotAllowedError(`defining ${what}s requires one of the roles: ${ctx.config.adminRoles.join(', ')}`);
  }
}

/**
 * DefineWorkflow (TICKETS.md section 2): each definition is a new version of `workflow-<space>/<shortname>`;
 * the definition is normalised (legacy form) and validated by the domain.
 */
export const defineWorkflow: CommandHandler = async (ctx) => {
  requireAdmin(ctx);
  const payload = ctx.envelope.payload as { mode: DefineMode; body: unknown; displayname?: Translation; description?: Translation };
  const { space_name, shortname } = ctx.envelope;
  const handled = await handleCommand(
    ctx.store,
    streamIds.workflow(space_name, shortname),
    workflowDecider,
    () => ({ type: 'DefineWorkflow' as const, data: { space_name, shortname, ...payload }, metadata: ctx.metadata }),
    ctx.options,
  );
  const state = handled.state;
  return defined(ctx, SUBPATHS.workflow, handled.position, state.status === 'defined'
    ? { version: state.version, payload: { content_type: 'json', body: state.definition } }
    : {});
};

/** DefineSchema (TICKETS.md section 5): a draft-7 JSON Schema, versioned in `schema-<space>/<shortname>`. */
export const defineSchema: CommandHandler = async (ctx) => {
  requireAdmin(ctx);
  const payload = ctx.envelope.payload as { mode: DefineMode; schema: unknown };
  const { space_name, shortname } = ctx.envelope;
  const handled = await handleCommand(
    ctx.store,
    streamIds.schema(space_name, shortname),
    schemaDecider,
    () => ({ type: 'DefineSchema' as const, data: { space_name, shortname, ...payload }, metadata: ctx.metadata }),
    ctx.options,
  );
  const state = handled.state;
  return defined(ctx, SUBPATHS.schema, handled.position, state.status === 'defined'
    ? { version: state.version, payload: { content_type: 'json', body: state.schema } }
    : {});
};

/** DefineGroup (TICKETS.md section 3): a group's roles, in the `management` space. */
export const defineGroup: CommandHandler = async (ctx) => {
  requireAdmin(ctx);
  const payload = ctx.envelope.payload as { mode: DefineMode; roles: readonly string[] };
  const { shortname } = ctx.envelope;
  const handled = await handleCommand(
    ctx.store,
    streamIds.group(shortname),
    groupDecider,
    () => ({ type: 'DefineGroup' as const, data: { shortname, ...payload }, metadata: ctx.metadata }),
    ctx.options,
  );
  const state = handled.state;
  return defined(ctx, SUBPATHS.group, handled.position, state.status === 'defined' ? { roles: state.roles } : {});
};

/** A user as a command result shows it: its attributes without the password hash. */
function userAttributes(state: UserStreamState): Record<string, unknown> {
  if (state.status !== 'defined') return {};
  const { password_hash: _hash, ...profile } = state.profile;
  return { ...profile, created_at: state.created_at, updated_at: state.updated_at };
}

/**
 * DefineUser: creates, changes or deactivates (`is_active: false`) the user `management/users/<shortname>`;
 * the password arrives hashed by the gateway.
 */
export const defineUser: CommandHandler = async (ctx) => {
  requireAdmin(ctx);
  const payload = ctx.envelope.payload as { mode: DefineMode; changes: UserChanges };
  const { shortname } = ctx.envelope;
  const handled = await handleCommand(
    ctx.store,
    streamIds.user(shortname),
    userDecider,
    () => ({ type: 'DefineUser' as const, data: { shortname, ...payload }, metadata: ctx.metadata }),
    ctx.options,
  );
  return defined(ctx, SUBPATHS.user, handled.position, userAttributes(handled.state));
};

/** DeleteUser: the user can no longer log in and its tokens stop working (the gateway checks at verification). */
export const deleteUser: CommandHandler = async (ctx) => {
  requireAdmin(ctx);
  const { shortname } = ctx.envelope;
  const handled = await handleCommand(
    ctx.store,
    streamIds.user(shortname),
    userDecider,
    () => ({ type: 'DeleteUser' as const, data: { shortname }, metadata: ctx.metadata }),
    ctx.options,
  );
  return defined(ctx, SUBPATHS.user, handled.position, {});
};
