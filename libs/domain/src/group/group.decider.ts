import type { Decider } from '../shared/decider';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../shared/errors';
import { isNonEmptyString } from '../shared/guards';
import type { Command, CommandMetadata, DefineMode } from '../shared/message';
import type { GroupDefined } from '../workflow/workflow.types';

/** The implicit role of every authenticated user (TICKETS.md section 3). */
export const LOGGED_IN_ROLE = 'logged_in';

/**
 * Defines (mode `create`) or redefines (mode `update`) the group `management/groups/shortname` and its roles
 * (TICKETS.md section 3).
 */
export type DefineGroup = Command<
  'DefineGroup',
  { shortname: string; roles: readonly string[]; mode: DefineMode },
  CommandMetadata
>;

/** Every command of a group stream. */
export type GroupCommand = DefineGroup;
/** Every event of a group stream. */
export type GroupEvent = GroupDefined;

/** State of one group stream. */
export type GroupStreamState = Readonly<
  { status: 'absent' } | { status: 'defined'; shortname: string; roles: readonly string[] }
>;

/** A group stream with nothing in it. */
export const initialGroupState = (): GroupStreamState => ({ status: 'absent' });

/**
 * `DefineGroup` -> `[GroupDefined]` (roles de-duplicated, order kept).
 * @throws ValidationError (422) when `roles` is not a list of non-empty strings; AlreadyExistsError (400) `create`
 *   of an existing group; NotFoundError (220) `update` of an absent one.
 */
export const decideGroup = (command: GroupCommand, state: GroupStreamState): GroupEvent[] => {
  const { type } = command;
  switch (type) {
    case 'DefineGroup':
      return [defineGroup(command, state)];
    default: {
      const _: never = type;
      return _;
    }
  }
};

const defineGroup = ({ data, metadata }: DefineGroup, state: GroupStreamState): GroupDefined => {
  if (data.mode === 'create' && state.status === 'defined') {
    throw new AlreadyExistsError(`group '${data.shortname}' already exists`);
  }
  if (data.mode === 'update' && state.status === 'absent') throw new NotFoundError(`group '${data.shortname}' not found`);
  if (!Array.isArray(data.roles) || !data.roles.every(isNonEmptyString)) {
    throw new ValidationError(`group '${data.shortname}': roles must be a list of non-empty strings`);
  }
  return { type: 'GroupDefined', data: { shortname: data.shortname, roles: [...new Set(data.roles)], at: metadata.now } };
};

/** Applies a `GroupDefined`: the group now has exactly these roles. */
export const evolveGroup = (_state: GroupStreamState, event: GroupEvent): GroupStreamState => {
  const { type, data } = event;
  switch (type) {
    case 'GroupDefined':
      return { status: 'defined', shortname: data.shortname, roles: data.roles };
    default: {
      const _: never = type;
      return _;
    }
  }
};

/** The group decider (section 3): `{decide, evolve, initialState}` for one group stream. */
export const groupDecider: Decider<GroupStreamState, GroupCommand, GroupEvent> = {
  decide: decideGroup,
  evolve: evolveGroup,
  initialState: initialGroupState,
};

/**
 * An actor's **effective** roles (TICKETS.md section 3, **Fix**: Dmart ignores group roles): the token's roles,
 * plus `logged_in`, plus the roles of each of the actor's groups (`groupRoles`: one list per known group; unknown
 * groups simply contribute nothing). Returns a de-duplicated list, token roles first.
 */
export const effectiveRoles = (
  tokenRoles: readonly string[],
  groupRoles: readonly (readonly string[])[] = [],
): string[] => [...new Set([...tokenRoles, LOGGED_IN_ROLE, ...groupRoles.flat()])];
