import type { Decider } from '../shared/decider';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../shared/errors';
import { deepEqual, isNonEmptyString, isPlainObject } from '../shared/guards';
import type { Command, CommandMetadata, DefineMode, Event, Translation } from '../shared/message';

/** The space and subpath where Dmart keeps users: `management/users/<shortname>`. */
export const USERS_SUBPATH = 'users';

/**
 * The attributes of a user (Dmart's `User` meta, the subset this platform serves). `password_hash` is a PHC
 * string (`$argon2id$...`) made by the gateway: the clear password never reaches a command or an event.
 */
export interface UserProfile {
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  readonly is_active: boolean;
  readonly displayname?: Translation;
  readonly email?: string;
  readonly msisdn?: string;
  readonly password_hash?: string;
}

/** The fields a `DefineUser` may set; on `update` only those present change. */
export type UserChanges = Partial<UserProfile>;

/**
 * Creates (mode `create`) or changes (mode `update`) the user `management/users/shortname`. Deactivation is an
 * update with `is_active: false`. Only actors with an admin role may send it (checked by the handler, as for
 * every definition).
 */
export type DefineUser = Command<
  'DefineUser',
  { shortname: string; mode: DefineMode; changes: UserChanges },
  CommandMetadata
>;
/** Deletes the user: it can no longer log in, and its tokens stop working. */
export type DeleteUser = Command<'DeleteUser', { shortname: string }, CommandMetadata>;

/** `at` is the command's `issued_at`; a token issued before a user's `tokens_valid_after` is refused. */
export type UserCreated = Event<'UserCreated', { shortname: string; profile: UserProfile; at: string }>;
/** Only the fields that changed. */
export type UserUpdated = Event<'UserUpdated', { shortname: string; changes: UserChanges; at: string }>;
export type UserDeleted = Event<'UserDeleted', { shortname: string; at: string }>;

/** Every command of a user stream. */
export type UserCommand = DefineUser | DeleteUser;
/** Every event of a user stream. */
export type UserEvent = UserCreated | UserUpdated | UserDeleted;

/**
 * State of one user stream. `tokens_valid_after` (ISO-8601) is the last time the user's access changed
 * (created, roles, groups, activation or password): tokens issued before it no longer reflect the user.
 */
export type UserStreamState = Readonly<
  | { status: 'absent' }
  | { status: 'deleted'; shortname: string; deleted_at: string }
  | {
      status: 'defined';
      shortname: string;
      profile: UserProfile;
      created_at: string;
      updated_at: string;
      tokens_valid_after: string;
    }
>;

/** A user stream with nothing in it. */
export const initialUserState = (): UserStreamState => ({ status: 'absent' });

/** Changes that alter what a token of the user stands for, so older tokens stop working. */
const ACCESS_FIELDS: readonly (keyof UserProfile)[] = ['roles', 'groups', 'is_active', 'password_hash'];
const PROFILE_FIELDS: readonly (keyof UserProfile)[] = [
  'roles',
  'groups',
  'is_active',
  'displayname',
  'email',
  'msisdn',
  'password_hash',
];

/**
 * `DefineUser` -> `[UserCreated]` / `[UserUpdated]` (only changed fields; `[]` when nothing changes);
 * `DeleteUser` -> `[UserDeleted]`. A deleted user may be created again (a new life; old tokens stay refused).
 * @throws ValidationError (422) for a malformed field (roles/groups not lists of non-empty strings, `is_active`
 *   not a boolean, a password hash that is not an argon2id/bcrypt PHC string, a create without password);
 *   AlreadyExistsError (400) `create` of an existing user; NotFoundError (220) `update`/`DeleteUser` of an
 *   absent or deleted one.
 */
export const decideUser = (command: UserCommand, state: UserStreamState): UserEvent[] => {
  const { type } = command;
  switch (type) {
    case 'DefineUser':
      return defineUser(command, state);
    case 'DeleteUser':
      if (state.status !== 'defined') throw new NotFoundError(`user '${command.data.shortname}' not found`);
      return [{ type: 'UserDeleted', data: { shortname: command.data.shortname, at: command.metadata.now } }];
    default: {
      const _: never = type;
      return _;
    }
  }
};

const defineUser = ({ data, metadata }: DefineUser, state: UserStreamState): UserEvent[] => {
  const changes = checkedChanges(data.shortname, data.changes);
  if (data.mode === 'create') {
    if (state.status === 'defined') throw new AlreadyExistsError(`user '${data.shortname}' already exists`);
    if (!changes.password_hash) throw new ValidationError(`user '${data.shortname}': a password is required`);
    const profile: UserProfile = { roles: [], groups: [], is_active: true, ...changes };
    return [{ type: 'UserCreated', data: { shortname: data.shortname, profile, at: metadata.now } }];
  }
  if (state.status !== 'defined') throw new NotFoundError(`user '${data.shortname}' not found`);
  const changed = Object.fromEntries(
    Object.entries(changes).filter(
      ([key, value]) => !deepEqual(value, state.profile[key as keyof UserProfile]),
    ),
  ) as UserChanges;
  if (Object.keys(changed).length === 0) return [];
  return [{ type: 'UserUpdated', data: { shortname: data.shortname, changes: changed, at: metadata.now } }];
};

/** Hash formats the gateway produces (argon2id) or accepts from an import (bcrypt), as PHC/modular strings. */
const PASSWORD_HASH =
  /^\$(argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|2[aby]\$\d{2}\$[./A-Za-z0-9]{53})$/;

function checkedChanges(shortname: string, changes: unknown): UserChanges {
  const invalid = (what: string) => new ValidationError(`user '${shortname}': ${what}`);
  if (!isPlainObject(changes)) throw invalid('attributes must be an object');
  const out: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) {
    const value = changes[field];
    if (value === undefined) continue;
    switch (field) {
      case 'roles':
      case 'groups':
        if (!Array.isArray(value) || !value.every(isNonEmptyString))
          throw invalid(`${field} must be a list of non-empty strings`);
        out[field] = [...new Set(value)];
        break;
      case 'is_active':
        if (typeof value !== 'boolean') throw invalid('is_active must be true or false');
        out[field] = value;
        break;
      case 'displayname':
        if (!isPlainObject(value)) throw invalid('displayname must be a translation {en, ar, ku}');
        out[field] = value;
        break;
      case 'email':
      case 'msisdn':
        if (!isNonEmptyString(value)) throw invalid(`${field} must be a non-empty string`);
        out[field] = value;
        break;
      case 'password_hash':
        if (typeof value !== 'string' || !PASSWORD_HASH.test(value))
          throw invalid('password_hash must be an argon2id or bcrypt hash');
        out[field] = value;
        break;
    }
  }
  return out as UserChanges;
}

/** Applies a user event. */
export const evolveUser = (state: UserStreamState, event: UserEvent): UserStreamState => {
  const { type } = event;
  switch (type) {
    case 'UserCreated': {
      const { shortname, profile, at } = event.data;
      return {
        status: 'defined',
        shortname,
        profile,
        created_at: at,
        updated_at: at,
        tokens_valid_after: at,
      };
    }
    case 'UserUpdated': {
      if (state.status !== 'defined') return state;
      const { changes, at } = event.data;
      const accessChanged = ACCESS_FIELDS.some((field) => changes[field] !== undefined);
      return {
        ...state,
        profile: { ...state.profile, ...changes },
        updated_at: at,
        tokens_valid_after: accessChanged ? at : state.tokens_valid_after,
      };
    }
    case 'UserDeleted':
      return { status: 'deleted', shortname: event.data.shortname, deleted_at: event.data.at };
    default: {
      const _: never = type;
      return _;
    }
  }
};

/** The user decider: `{decide, evolve, initialState}` for one user stream (`user-<shortname>`). */
export const userDecider: Decider<UserStreamState, UserCommand, UserEvent> = {
  decide: decideUser,
  evolve: evolveUser,
  initialState: initialUserState,
};

/**
 * Whether a token issued at `issuedAtS` (JWT `iat`, seconds since the epoch) for this user still stands: the
 * user is active and the token is not older than the user's last access change (compared in whole seconds,
 * the unit of `iat`; a token without `iat` is refused). A user without a stream (tokens made by `npm run token` or an identity provider for
 * someone never registered here) is not judged by this rule: `absent` answers `true`.
 */
export const tokenStillValid = (state: UserStreamState, issuedAtS: number | undefined): boolean => {
  if (state.status === 'absent') return true;
  if (state.status === 'deleted' || !state.profile.is_active) return false;
  // Without `iat` nothing shows the token is newer than the last access change.
  if (issuedAtS === undefined) return false;
  return issuedAtS >= Math.floor(Date.parse(state.tokens_valid_after) / 1000);
};
