import { validatePayload } from '../schema/payload.validator';
import type { Decider } from '../shared/decider';
import {
  AlreadyExistsError,
  InvalidTransitionError,
  LockedEntryError,
  LockUnavailableError,
  NotFoundError,
  TicketClosedError,
  ValidationError,
} from '../shared/errors';
import { deepEqual, instantMs, isNonEmptyString, isPlainObject } from '../shared/guards';
import type { CommandMetadata, ResourceKey } from '../shared/message';
import { isValidShortname } from '../shared/resource';
import { findTransition, initialStateFor, isClosedState, resolutionKeys } from '../workflow/workflow.definition';
import type { WorkflowDefinition } from '../workflow/workflow.types';
import {
  type AddComment,
  type AssignTicket,
  type AttributeChanges,
  type CreateTicket,
  DEFAULT_LOCK_PERIOD_SECONDS,
  type DeleteTicket,
  type LockTicket,
  type MoveTicketIn,
  type MoveTicketOut,
  type NewComment,
  type PatchTicket,
  type ProgressTicket,
  type TicketCommand,
  type TicketContext,
  type UnlockTicket,
  type UpdateTicket,
} from './ticket.commands';
import type {
  CommentAdded,
  EditableAttributes,
  Payload,
  TicketAssigned,
  TicketComment,
  TicketCreated,
  TicketDeleted,
  TicketEvent,
  TicketLocked,
  TicketMovedIn,
  TicketMovedOut,
  TicketProgressed,
  TicketUnlocked,
  TicketUpdated,
} from './ticket.events';
import { evolveTicket } from './ticket.evolve';
import { type ActiveTicket, activeLock, initialTicketState, type TicketState } from './ticket.state';

/**
 * Decides a ticket command against the ticket's state (TICKETS.md section 4). Returns the events to append
 * (`[]` = accepted, nothing changes) or throws a `DomainError`:
 * - any command but `CreateTicket`/`MoveTicketIn` on an absent, deleted or moved ticket: NotFoundError (220);
 * - `CreateTicket`/`MoveTicketIn` on a live ticket: AlreadyExistsError (400);
 * - progress/update/patch/assign/delete/move-out of a ticket someone else holds an unexpired lock on:
 *   LockedEntryError (31); lock/unlock of such a ticket: LockUnavailableError (30);
 * - and the per-command errors documented on each function below.
 */
export const decideTicket = (command: TicketCommand, state: TicketState): TicketEvent[] => {
  switch (command.type) {
    case 'CreateTicket':
      return [createTicket(command, state)];
    case 'MoveTicketIn':
      return [moveTicketIn(command, state)];
    case 'ProgressTicket':
      return [progressTicket(command, liveTicket(state))];
    case 'UpdateTicket':
      return updateTicket(command, liveTicket(state));
    case 'PatchTicket':
      return patchTicket(command, liveTicket(state));
    case 'AssignTicket':
      return assignTicket(command, liveTicket(state));
    case 'LockTicket':
      return [lockTicket(command, liveTicket(state))];
    case 'UnlockTicket':
      return unlockTicket(command, liveTicket(state));
    case 'AddComment':
      return [addComment(command, liveTicket(state))];
    case 'DeleteTicket':
      return [deleteTicket(command, liveTicket(state))];
    case 'MoveTicketOut':
      return [moveTicketOut(command, liveTicket(state))];
    default: {
      const _: never = command;
      return _;
    }
  }
};

/** The ticket decider: `{decide, evolve, initialState}` for one ticket stream (TICKETS.md section 4). */
export const ticketDecider: Decider<TicketState, TicketCommand, TicketEvent> = {
  decide: decideTicket,
  evolve: evolveTicket,
  initialState: initialTicketState,
};

// ---------------------------------------------------------------------------------------------------------------
// Guards shared by the commands

/** `space/subpath/shortname`, for messages. */
export const resourcePathOf = (key: ResourceKey): string =>
  [key.space_name, key.subpath, key.shortname].filter((part) => part !== '').join('/');

const liveTicket = (state: TicketState): ActiveTicket => {
  switch (state.status) {
    case 'active':
      return state;
    case 'moved':
      throw new NotFoundError(`ticket not found: it moved to ${resourcePathOf(state.to)}`);
    case 'absent':
    case 'deleted':
      throw new NotFoundError('ticket not found');
    default: {
      const _: never = state;
      return _;
    }
  }
};

/** Others cannot change a ticket locked by someone (unexpired lock); the holder can (section 4, lock). */
const ensureNotLockedByOther = (ticket: ActiveTicket, { actor, now }: CommandMetadata): void => {
  const lock = activeLock(ticket, now);
  if (lock !== null && lock.holder !== actor.shortname) {
    throw new LockedEntryError(`ticket is locked by '${lock.holder}' until ${lock.expires_at}`);
  }
};

/** The workflow the ticket follows, from the caller's context (see `TicketContext`). */
const ticketWorkflow = (ticket: ActiveTicket, context: TicketContext): WorkflowDefinition => {
  const workflow = context.workflow;
  const name = `${ticket.space_name}/workflows/${ticket.workflow_shortname}`;
  if (workflow === undefined) throw new NotFoundError(`workflow not found: ${name}`);
  if (workflow.version !== ticket.workflow_version) {
    // The ticket follows its own version (section 2); any other version is the wrong workflow.
    throw new NotFoundError(
      `workflow not found: ${name} version ${ticket.workflow_version} (the context holds version ${workflow.version})`,
    );
  }
  return workflow.definition;
};

/** Section 5: a `json` payload naming a schema is validated against it; a missing schema is "not found". */
const validatePayloadAgainstSchema = (payload: Payload | undefined, context: TicketContext): void => {
  if (payload === undefined || payload.content_type !== 'json' || payload.schema_shortname === undefined) return;
  if (context.schema === undefined) throw new NotFoundError(`schema not found: '${payload.schema_shortname}'`);
  validatePayload(context.schema, payload.body);
};

const comment = (given: NewComment, ticket: ActiveTicket, state: string, metadata: CommandMetadata): TicketComment => {
  if (!isNonEmptyString(given.shortname) || !isNonEmptyString(given.uuid)) {
    throw new ValidationError('a comment needs a shortname and a uuid');
  }
  if (ticket.comments.some((c) => c.shortname === given.shortname)) {
    throw new AlreadyExistsError(`comment '${given.shortname}' already exists`);
  }
  return {
    shortname: given.shortname,
    uuid: given.uuid,
    body: given.body,
    author: metadata.actor.shortname,
    created_at: metadata.now,
    state,
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Editable attributes (section 4, update / patch)

const EDITABLE = ['displayname', 'description', 'tags', 'is_active', 'reporter', 'payload', 'collaborators'] as const;
type Editable = (typeof EDITABLE)[number];
const isEditable = (name: string): name is Editable => (EDITABLE as readonly string[]).includes(name);

/** Attributes only the workflow changes (**Fix**: Dmart lets updates bypass it). */
const WORKFLOW_ATTRIBUTES: Readonly<Record<string, string>> = {
  state: "'state' is changed only by progressing the ticket through its workflow",
  is_open: "'is_open' follows the workflow state and is changed only by progressing the ticket",
  resolution_reason: "'resolution_reason' is set only by progressing the ticket with a resolution",
  workflow_shortname: "'workflow_shortname' cannot be changed: a ticket keeps its workflow for life",
};

/** Other known attributes that update/patch cannot change, with where they are changed instead. */
const SYSTEM_ATTRIBUTES: Readonly<Record<string, string>> = {
  owner_shortname: "'owner_shortname' is changed by assigning the ticket",
  owner_group_shortname: "'owner_group_shortname' is changed by assigning the ticket",
  shortname: "'shortname' is changed by moving the ticket",
  subpath: "'subpath' is changed by moving the ticket",
  space_name: "'space_name' cannot be changed",
  uuid: "'uuid' cannot be changed",
  workflow_version: "'workflow_version' cannot be changed",
  created_at: "'created_at' cannot be changed",
  updated_at: "'updated_at' cannot be changed",
};

/** Default of each editable attribute: what a `null` resets it to (`undefined` = removed). */
const RESET: Readonly<Record<Editable, unknown>> = {
  displayname: undefined,
  description: undefined,
  reporter: undefined,
  payload: undefined,
  tags: [],
  is_active: false,
  collaborators: {},
};

const isStringRecord = (value: unknown): boolean =>
  isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string');

/** The problem with `value` as attribute `name`, or `undefined` when it is well-formed. */
const attributeProblem = (name: Editable, value: unknown): string | undefined => {
  switch (name) {
    case 'displayname':
    case 'description':
      return isStringRecord(value) ? undefined : `'${name}' must be an object of strings ({en, ar, ku})`;
    case 'tags':
      return Array.isArray(value) && value.every((t) => typeof t === 'string') ? undefined : "'tags' must be a list of strings";
    case 'is_active':
      return typeof value === 'boolean' ? undefined : "'is_active' must be a boolean";
    case 'reporter':
      return isPlainObject(value) ? undefined : "'reporter' must be an object";
    case 'collaborators':
      return isStringRecord(value) ? undefined : "'collaborators' must map actions to user shortnames";
    case 'payload':
      if (!isPlainObject(value)) return "'payload' must be an object";
      if (!isNonEmptyString(value['content_type'])) return "'payload.content_type' is required";
      if (value['schema_shortname'] !== undefined && !isNonEmptyString(value['schema_shortname'])) {
        return "'payload.schema_shortname' must be a non-empty string";
      }
      return undefined;
    default: {
      const _: never = name;
      return _;
    }
  }
};

const refuseAttributes = (problems: readonly { attribute: string; reason: string }[]): never => {
  throw new ValidationError(
    problems.map((p) => p.reason).join('; '),
    problems.map((p) => ({ ...p })),
  );
};

/** Refuses workflow, system and unknown attribute names (section 4, update / patch; unknown: our decision). */
const editableNames = (changes: AttributeChanges): Editable[] => {
  const names = Object.keys(changes).filter((name) => changes[name] !== undefined);
  const problems = names
    .filter((name) => !isEditable(name))
    .map((attribute) => ({
      attribute,
      reason:
        WORKFLOW_ATTRIBUTES[attribute] ??
        SYSTEM_ATTRIBUTES[attribute] ??
        `'${attribute}' is not an attribute update or patch can change`,
    }));
  if (problems.length > 0) refuseAttributes(problems);
  return names.filter(isEditable);
};

/** Refuses ill-formed attribute values; `undefined` values (reset/removed) are fine. */
const checkValues = (values: Partial<Record<Editable, unknown>>): void => {
  const problems = (Object.keys(values) as Editable[]).flatMap((attribute) => {
    const value = values[attribute];
    const reason = value === undefined ? undefined : attributeProblem(attribute, value);
    return reason === undefined ? [] : [{ attribute, reason }];
  });
  if (problems.length > 0) refuseAttributes(problems);
};

/** Deep merge for patch: objects merge key by key, `null` removes a key, anything else replaces. */
const deepMerge = (current: unknown, change: unknown): unknown => {
  if (!isPlainObject(change)) return change;
  const base: Record<string, unknown> = isPlainObject(current) ? { ...current } : {};
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete base[key];
    else if (value !== undefined) base[key] = deepMerge(Object.hasOwn(base, key) ? base[key] : undefined, value);
  }
  return base;
};

/** Update's payload rule: `body` is replaced wholesale, `content_type`/`schema_shortname` kept unless given. */
const replacePayload = (current: unknown, change: unknown): unknown => {
  if (!isPlainObject(change)) return change;
  const base: Record<string, unknown> = isPlainObject(current) ? { ...current } : {};
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete base[key];
    else if (value !== undefined) base[key] = value;
  }
  return base;
};

/**
 * The `TicketUpdated` for new attribute values (`undefined` = reset), keeping only real changes; `[]` when
 * nothing changes. A changed payload is validated against its schema (section 5).
 */
const attributesChanged = (
  ticket: ActiveTicket,
  values: Partial<Record<Editable, unknown>>,
  context: TicketContext,
  at: string,
): TicketUpdated[] => {
  checkValues(values);
  const set: Record<string, unknown> = {};
  const unset: Editable[] = [];
  for (const attribute of Object.keys(values) as Editable[]) {
    const value = values[attribute];
    const current = ticket[attribute];
    if (deepEqual(value, current)) continue;
    if (value === undefined) unset.push(attribute);
    else set[attribute] = value;
  }
  if (Object.keys(set).length === 0 && unset.length === 0) return [];
  if (set['payload'] !== undefined) validatePayloadAgainstSchema(set['payload'] as Payload, context);
  return [{ type: 'TicketUpdated', data: { set: set as EditableAttributes, unset, at } }];
};

// ---------------------------------------------------------------------------------------------------------------
// One function per command

/**
 * Create (section 4): the key must be free; the workflow (latest version, from `context.workflow`) must exist;
 * initial state by the actor's roles; `is_open` = !closed(initial); owner = actor; payload validated.
 * @throws AlreadyExistsError (400) live ticket at this key; ValidationError (422) missing workflow_shortname,
 *   invalid shortname/uuid, ill-formed attribute, payload violating its schema; NotFoundError (220) "workflow not
 *   found" / "schema not found"; NotAllowedError (401) no initial state for the actor's roles.
 */
const createTicket = ({ data, metadata }: CreateTicket, state: TicketState): TicketCreated => {
  if (state.status === 'active') throw new AlreadyExistsError(`ticket '${resourcePathOf(data)}' already exists`);
  if (!isNonEmptyString(data.workflow_shortname)) throw new ValidationError("'workflow_shortname' is required");
  if (!isValidShortname(data.shortname)) {
    throw new ValidationError(`invalid shortname '${String(data.shortname)}': 1-64 letters, digits or '_'`);
  }
  if (!isNonEmptyString(data.uuid)) throw new ValidationError("'uuid' is required");
  if (data.owner_group_shortname !== undefined && !isNonEmptyString(data.owner_group_shortname)) {
    throw new ValidationError("'owner_group_shortname' must be a non-empty string");
  }
  const workflow = data.context.workflow;
  if (workflow === undefined) {
    throw new NotFoundError(`workflow not found: ${data.space_name}/workflows/${data.workflow_shortname}`);
  }
  const attributes: Partial<Record<Editable, unknown>> = {};
  for (const name of EDITABLE) if (data[name] !== undefined) attributes[name] = data[name];
  checkValues(attributes);
  const initial = initialStateFor(workflow.definition, metadata.actor.roles);
  validatePayloadAgainstSchema(data.payload, data.context);
  return {
    type: 'TicketCreated',
    data: {
      space_name: data.space_name,
      subpath: data.subpath,
      shortname: data.shortname,
      uuid: data.uuid,
      workflow_shortname: data.workflow_shortname,
      workflow_version: workflow.version,
      state: initial,
      is_open: !isClosedState(workflow.definition, initial),
      is_active: data.is_active ?? false,
      tags: data.tags ?? [],
      collaborators: data.collaborators ?? {},
      ...(data.displayname === undefined ? {} : { displayname: data.displayname }),
      ...(data.description === undefined ? {} : { description: data.description }),
      ...(data.reporter === undefined ? {} : { reporter: data.reporter }),
      ...(data.payload === undefined ? {} : { payload: data.payload }),
      owner_shortname: metadata.actor.shortname,
      ...(data.owner_group_shortname === undefined ? {} : { owner_group_shortname: data.owner_group_shortname }),
      created_at: metadata.now,
    },
  };
};

/**
 * Progress (section 4), all effects in ONE event: new state, `is_open`, `resolution_reason` (the given
 * resolution, else `null`, whether the target is open or closed), `collaborators[action] = actor` (in evolve),
 * and the comment if its body is not blank.
 * @throws LockedEntryError (31); NotFoundError (220) the ticket's workflow version is not in the context;
 *   ValidationError (422) `resolution` not a string; TicketClosedError (299) closed ticket; InvalidTransitionError (300) "can't progress from S using A", actor
 *   lacks the transition's roles, or resolution not defined by the target state; AlreadyExistsError (400)
 *   comment shortname already used.
 */
const progressTicket = ({ data, metadata }: ProgressTicket, ticket: ActiveTicket): TicketProgressed => {
  ensureNotLockedByOther(ticket, metadata);
  const definition = ticketWorkflow(ticket, data.context);
  if (isClosedState(definition, ticket.state)) {
    throw new TicketClosedError(`ticket is closed: state '${ticket.state}' has no transitions`);
  }
  const transition = findTransition(definition, ticket.state, data.action);
  if (transition === undefined) throw new InvalidTransitionError(`can't progress from ${ticket.state} using ${data.action}`);
  if (!transition.roles.some((role) => metadata.actor.roles.includes(role))) {
    throw new InvalidTransitionError(
      `user does not have the required roles to progress from ${ticket.state} using ${data.action} (needs one of: ${transition.roles.join(', ')})`,
    );
  }
  if (data.resolution !== undefined && data.resolution !== null && typeof data.resolution !== 'string') {
    throw new ValidationError("'resolution' must be a string");
  }
  const resolution = isNonEmptyString(data.resolution) ? data.resolution : null;
  if (resolution !== null && !resolutionKeys(definition, transition.state).includes(resolution)) {
    throw new InvalidTransitionError(`resolution '${resolution}' is not defined by state '${transition.state}'`);
  }
  const given = data.comment;
  const attached =
    given !== undefined && isNonEmptyString(given.body) ? comment(given, ticket, transition.state, metadata) : undefined;
  return {
    type: 'TicketProgressed',
    data: {
      action: data.action,
      from_state: ticket.state,
      state: transition.state,
      is_open: !isClosedState(definition, transition.state),
      resolution_reason: resolution,
      actor: metadata.actor.shortname,
      ...(attached === undefined ? {} : { comment: attached }),
      at: metadata.now,
    },
  };
};

/**
 * Update (section 4): replaces the given editable attributes; `null` resets one. Workflow attributes (`state`,
 * `is_open`, `resolution_reason`, `workflow_shortname`), other known attributes and unknown ones are refused.
 * @returns `[TicketUpdated]` with only the changed attributes, or `[]` when nothing changes.
 * @throws LockedEntryError (31); ValidationError (422) refused/ill-formed attribute or payload violating its
 *   schema; NotFoundError (220) schema not found.
 */
const updateTicket = ({ data, metadata }: UpdateTicket, ticket: ActiveTicket): TicketUpdated[] => {
  ensureNotLockedByOther(ticket, metadata);
  const values: Partial<Record<Editable, unknown>> = {};
  for (const name of editableNames(data.attributes)) {
    const change = data.attributes[name];
    values[name] = change === null ? RESET[name] : name === 'payload' ? replacePayload(ticket.payload, change) : change;
  }
  return attributesChanged(ticket, values, data.context, metadata.now);
};

/**
 * Patch (section 4): deep-merges the given attributes (objects key by key, `null` removes a key, a top-level
 * `null` resets the attribute); same refusals and result as update.
 * @throws as `UpdateTicket`.
 */
const patchTicket = ({ data, metadata }: PatchTicket, ticket: ActiveTicket): TicketUpdated[] => {
  ensureNotLockedByOther(ticket, metadata);
  const values: Partial<Record<Editable, unknown>> = {};
  for (const name of editableNames(data.attributes)) {
    const change = data.attributes[name];
    values[name] = change === null ? RESET[name] : deepMerge(ticket[name], change);
  }
  return attributesChanged(ticket, values, data.context, metadata.now);
};

/**
 * Assign (section 4) to a user (`owner_shortname`) and/or a team (`owner_group_shortname`); the other one is
 * kept. Returns `[]` when both are already so.
 * @throws ValidationError (422) neither given, or not non-empty strings; LockedEntryError (31).
 */
const assignTicket = ({ data, metadata }: AssignTicket, ticket: ActiveTicket): TicketAssigned[] => {
  const { owner_shortname: user, owner_group_shortname: team } = data;
  if (user === undefined && team === undefined) {
    throw new ValidationError("assign needs 'owner_shortname' and/or 'owner_group_shortname'");
  }
  if ((user !== undefined && !isNonEmptyString(user)) || (team !== undefined && !isNonEmptyString(team))) {
    throw new ValidationError("'owner_shortname' and 'owner_group_shortname' must be non-empty strings");
  }
  ensureNotLockedByOther(ticket, metadata);
  const owner = user ?? ticket.owner_shortname;
  const group = team ?? ticket.owner_group_shortname;
  if (owner === ticket.owner_shortname && group === ticket.owner_group_shortname) return [];
  return [
    {
      type: 'TicketAssigned',
      data: {
        owner_shortname: owner,
        ...(group === undefined ? {} : { owner_group_shortname: group }),
        previous_owner_shortname: ticket.owner_shortname,
        ...(ticket.owner_group_shortname === undefined
          ? {}
          : { previous_owner_group_shortname: ticket.owner_group_shortname }),
        by: metadata.actor.shortname,
        at: metadata.now,
      },
    },
  ];
};

/**
 * Lock (section 4) for `lock_period_seconds` (default 300) from `metadata.now`. The holder may lock again: it
 * renews the lock. Allowed on closed tickets.
 * @throws LockUnavailableError (30) someone else holds an unexpired lock; ValidationError (422) the period is
 *   not a positive number of seconds, or `metadata.now` is not an ISO-8601 instant.
 */
const lockTicket = ({ data, metadata }: LockTicket, ticket: ActiveTicket): TicketLocked => {
  const period = data.lock_period_seconds ?? DEFAULT_LOCK_PERIOD_SECONDS;
  if (typeof period !== 'number' || !Number.isFinite(period) || period <= 0) {
    throw new ValidationError("'lock_period_seconds' must be a positive number of seconds");
  }
  const now = instantMs(metadata.now);
  if (Number.isNaN(now)) throw new ValidationError(`'now' is not an ISO-8601 instant: ${metadata.now}`);
  const lock = activeLock(ticket, metadata.now);
  if (lock !== null && lock.holder !== metadata.actor.shortname) {
    throw new LockUnavailableError(`ticket is locked by '${lock.holder}' until ${lock.expires_at}`);
  }
  return {
    type: 'TicketLocked',
    data: {
      holder: metadata.actor.shortname,
      expires_at: new Date(now + period * 1000).toISOString(),
      at: metadata.now,
    },
  };
};

/**
 * Unlock (section 4) by the holder. Unlocking a ticket with no lock in force (never locked, unlocked, expired)
 * is an accepted no-op: `[]`.
 * @throws LockUnavailableError (30) someone else holds an unexpired lock.
 */
const unlockTicket = ({ metadata }: UnlockTicket, ticket: ActiveTicket): TicketUnlocked[] => {
  const lock = activeLock(ticket, metadata.now);
  if (lock === null) return [];
  if (lock.holder !== metadata.actor.shortname) {
    throw new LockUnavailableError(`ticket is locked by '${lock.holder}' until ${lock.expires_at}`);
  }
  return [{ type: 'TicketUnlocked', data: { holder: lock.holder, at: metadata.now } }];
};

/**
 * Comment (section 4): attached to the ticket, recorded with the ticket's current state. Allowed on closed and on
 * locked tickets (as in Dmart: a comment changes no attribute).
 * @throws ValidationError (422) blank body, missing shortname/uuid; AlreadyExistsError (400) shortname used.
 */
const addComment = ({ data, metadata }: AddComment, ticket: ActiveTicket): CommentAdded => {
  if (!isNonEmptyString(data.body)) throw new ValidationError('a comment needs a non-blank body');
  return { type: 'CommentAdded', data: { comment: comment(data, ticket, ticket.state, metadata) } };
};

/**
 * Delete (section 4): the ticket is gone for every later command (220); its events stay.
 * @throws LockedEntryError (31).
 */
const deleteTicket = ({ metadata }: DeleteTicket, ticket: ActiveTicket): TicketDeleted => {
  ensureNotLockedByOther(ticket, metadata);
  return { type: 'TicketDeleted', data: { by: metadata.actor.shortname, at: metadata.now } };
};

/**
 * Move, source half (section 4): the ticket continues at `to`: same space, new subpath and/or shortname.
 * @throws LockedEntryError (31); ValidationError (422) other space, invalid shortname, or `to` is the ticket's
 *   own key.
 */
const moveTicketOut = ({ data, metadata }: MoveTicketOut, ticket: ActiveTicket): TicketMovedOut => {
  ensureNotLockedByOther(ticket, metadata);
  const { to } = data;
  if (to.space_name !== ticket.space_name) throw new ValidationError('a ticket cannot move to another space');
  if (!isValidShortname(to.shortname)) {
    throw new ValidationError(`invalid shortname '${String(to.shortname)}': 1-64 letters, digits or '_'`);
  }
  if (to.subpath === ticket.subpath && to.shortname === ticket.shortname) {
    throw new ValidationError(`the ticket is already at ${resourcePathOf(to)}`);
  }
  return {
    type: 'TicketMovedOut',
    data: { to: { space_name: to.space_name, subpath: to.subpath, shortname: to.shortname }, at: metadata.now },
  };
};

/**
 * Move, destination half (section 4): the destination key must be free (uniqueness rules apply).
 * @throws AlreadyExistsError (400) a live ticket is at the destination.
 */
const moveTicketIn = ({ data, metadata }: MoveTicketIn, state: TicketState): TicketMovedIn => {
  if (state.status === 'active') throw new AlreadyExistsError(`ticket '${resourcePathOf(data.snapshot)}' already exists`);
  return { type: 'TicketMovedIn', data: { from: data.from, snapshot: data.snapshot, at: metadata.now } };
};
