import { randomUUID } from 'node:crypto';
import {
  commentText,
  normalizeSubpath,
  type CommandEnvelope,
  type CommandType,
  type EnvelopeActor,
} from '@tickets/contracts';
import { USERS_SUBPATH, ValidationError, type ResourceKey } from '@tickets/domain';
import { SHORTNAME, SUBPATH, type RecordDto, type RequestType } from './managed-request.dto';

/** The space where `group` resources live, as in Dmart (TICKETS.md section 3). */
export const MANAGEMENT_SPACE = 'management';
/** Subpath of workflow definitions (TICKETS.md section 2). */
export const WORKFLOWS_SUBPATH = 'workflows';

/** What to do with one record: publish a command, or answer at once (set-up free spaces and folders). */
export type RecordAction =
  | { readonly kind: 'command'; readonly envelope: CommandEnvelope }
  | { readonly kind: 'noop'; readonly record: Record<string, unknown> };

/** Attributes a client may send on ticket create; `state` and `is_open` are ignored (TICKETS.md section 4). */
const CREATE_ATTRIBUTES = [
  'workflow_shortname',
  'is_active',
  'displayname',
  'description',
  'tags',
  'payload',
  'reporter',
  'collaborators',
  'owner_group_shortname',
] as const;

/**
 * Turns one record of a Dmart request into a command envelope (or an immediate answer), as Dmart clients
 * send them (TICKETS.md sections 1-5):
 * - `ticket`: create/update/patch/assign/delete/move -> CreateTicket, UpdateTicket, PatchTicket, AssignTicket,
 *   DeleteTicket, MoveTicket (Dmart's move attributes `src_subpath`, `src_shortname`, `dest_subpath`,
 *   `dest_shortname`, optional `dest_space_name`);
 * - `content` at `workflows`: create/update -> DefineWorkflow (`attributes.payload.body` is the workflow);
 * - `schema`: create/update -> DefineSchema (`attributes.payload.body` is the JSON Schema);
 * - `group` (in the `management` space): create/update -> DefineGroup (`attributes.roles`);
 * - `user` (in the `management` space, subpath `users`): create/update -> DefineUser (roles, groups, is_active,
 *   displayname, email, msisdn; the password only as `options.passwordHash`), delete -> DeleteUser;
 * - `comment` at `<ticket subpath>/<ticket shortname>`: create -> AddComment on that ticket (`payload.body`
 *   plain text or Dmart's `{body, state}`);
 * - `space`, `folder`: create answers success and changes nothing (spaces and subpaths need no set-up).
 * Shapes of attributes are validated by ticket-service against the envelope's JSON Schema, once.
 * @param commandId the command's id (derived from an Idempotency-Key); random when absent
 * @throws ValidationError (422) for a combination this API does not offer
 */
export function translateRecord(
  spaceName: string,
  requestType: RequestType,
  record: RecordDto,
  actor: EnvelopeActor,
  correlationId: string,
  commandId?: string,
  /** `passwordHash`: the hash of a `user` record's `attributes.password`, made by the caller (async work). */
  options: { readonly passwordHash?: string } = {},
): RecordAction {
  const attributes = record.attributes ?? {};
  const subpath = normalizeSubpath(record.subpath);
  const envelope = (type: CommandType, payload: Record<string, unknown>, key = { subpath, shortname: record.shortname }): RecordAction => ({
    kind: 'command',
    envelope: buildEnvelope(type, { space_name: spaceName, ...key }, actor, payload, correlationId, commandId),
  });
  const unsupported = () =>
    new ValidationError(`request_type '${requestType}' is not supported for resource_type '${record.resource_type}'`);
  const body = (attributes['payload'] as { body?: unknown } | undefined)?.body;
  const mode = requestType === 'create' ? 'create' : 'update';

  switch (record.resource_type) {
    case 'space':
    case 'folder':
      if (requestType !== 'create' && requestType !== 'update') throw unsupported();
      return { kind: 'noop', record: { resource_type: record.resource_type, shortname: record.shortname, subpath, attributes: {} } };
    case 'ticket':
      switch (requestType) {
        case 'create':
          return envelope('CreateTicket', pick(attributes, CREATE_ATTRIBUTES));
        case 'update':
          return envelope('UpdateTicket', attributes);
        case 'patch':
          return envelope('PatchTicket', attributes);
        case 'assign':
          return envelope('AssignTicket', pick(attributes, ['owner_shortname', 'owner_group_shortname']));
        case 'delete':
          return envelope('DeleteTicket', {});
        case 'move': {
          // Refused, not coerced: `String(7)` would move the ticket to subpath "7".
          const srcSubpath = subpathAttribute(attributes, 'src_subpath');
          const destSubpath = subpathAttribute(attributes, 'dest_subpath');
          const from = {
            subpath: srcSubpath === undefined ? subpath : normalizeSubpath(srcSubpath),
            shortname: shortnameAttribute(attributes, 'src_shortname') ?? record.shortname,
          };
          const to = pick(
            {
              space_name: shortnameAttribute(attributes, 'dest_space_name'),
              subpath: destSubpath === undefined ? undefined : normalizeSubpath(destSubpath),
              shortname: shortnameAttribute(attributes, 'dest_shortname'),
            },
            ['space_name', 'subpath', 'shortname'],
          );
          return envelope('MoveTicket', { to }, from);
        }
      }
      throw unsupported();
    case 'content':
      if (subpath !== WORKFLOWS_SUBPATH || (requestType !== 'create' && requestType !== 'update')) {
        throw new ValidationError(`content records are supported at subpath '${WORKFLOWS_SUBPATH}' (workflow definitions), with create or update`);
      }
      return envelope('DefineWorkflow', { mode, body, ...pick(attributes, ['displayname', 'description']) });
    case 'schema':
      if (requestType !== 'create' && requestType !== 'update') throw unsupported();
      return envelope('DefineSchema', { mode, schema: body });
    case 'group':
      if (requestType !== 'create' && requestType !== 'update') throw unsupported();
      if (spaceName !== MANAGEMENT_SPACE) throw new ValidationError(`groups live in the '${MANAGEMENT_SPACE}' space`);
      return envelope('DefineGroup', { mode, roles: attributes['roles'] });
    case 'user': {
      if (spaceName !== MANAGEMENT_SPACE) throw new ValidationError(`users live in the '${MANAGEMENT_SPACE}' space`);
      const key = { subpath: USERS_SUBPATH, shortname: record.shortname };
      if (requestType === 'delete') return envelope('DeleteUser', {}, key);
      if (requestType !== 'create' && requestType !== 'update') throw unsupported();
      const changes = pick(attributes, ['roles', 'groups', 'is_active', 'displayname', 'email', 'msisdn']);
      if (options.passwordHash) changes['password_hash'] = options.passwordHash;
      return envelope('DefineUser', { mode, changes }, key);
    }
    case 'comment': {
      if (requestType !== 'create') throw unsupported();
      const segments = subpath.split('/');
      const ticketShortname = segments.pop();
      if (!ticketShortname || segments.length === 0) {
        throw new ValidationError('a comment lives at <ticket subpath>/<ticket shortname>');
      }
      // Plain text, Dmart's `{body, state}` payload, or a top-level `attributes.body` (older clients).
      const text = commentText(typeof body === 'string' || attributes['body'] === undefined ? body : attributes['body']);
      return envelope(
        'AddComment',
        { shortname: record.shortname, body: text },
        { subpath: segments.join('/'), shortname: ticketShortname },
      );
    }
  }
}

/**
 * A command envelope for `key`, issued now by `actor` (ARCHITECTURE.md "Kafka contract"): `commandId` (a
 * fresh one unless derived from an Idempotency-Key) is also the causation id of a command that starts at the
 * gateway.
 */
export function buildEnvelope(
  type: CommandType,
  key: ResourceKey,
  actor: EnvelopeActor,
  payload: Record<string, unknown>,
  correlationId?: string,
  commandId: string = randomUUID(),
): CommandEnvelope {
  return {
    command_id: commandId,
    type,
    space_name: key.space_name,
    subpath: normalizeSubpath(key.subpath),
    shortname: key.shortname,
    actor: { shortname: actor.shortname, roles: actor.roles, groups: actor.groups ?? [] },
    issued_at: new Date().toISOString(),
    correlation_id: correlationId ?? commandId,
    causation_id: commandId,
    payload,
  };
}

/**
 * The ticket key of a path `{space}/{subpath...}/{shortname}` (route segments after the space).
 * @throws ValidationError (422) when the shortname or space is not a valid shortname
 */
export function parseTicketPath(space: string, path: readonly string[] | string): ResourceKey {
  const segments = (typeof path === 'string' ? path.split('/') : [...path]).filter(Boolean);
  const shortname = segments.pop();
  if (!shortname || !SHORTNAME.test(shortname) || !SHORTNAME.test(space)) {
    throw new ValidationError('expected {space}/{subpath...}/{shortname} with shortnames of 1-64 letters, digits or _');
  }
  return { space_name: space, subpath: segments.join('/'), shortname };
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/**
 * An optional subpath attribute, as given (not yet normalised).
 * @throws ValidationError (422) when present and not a string matching `SUBPATH` (a number is not coerced)
 */
function subpathAttribute(attributes: Record<string, unknown>, name: string): string | undefined {
  const value = attributes[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 512 || !SUBPATH.test(value)) {
    throw new ValidationError(`'${name}' must be a subpath: /-separated names of letters, digits, _ or -`);
  }
  return value;
}

/**
 * An optional shortname attribute.
 * @throws ValidationError (422) when present and not a string matching `SHORTNAME`
 */
function shortnameAttribute(attributes: Record<string, unknown>, name: string): string | undefined {
  const value = attributes[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !SHORTNAME.test(value)) throw new ValidationError(`'${name}' must be a shortname of 1-64 letters, digits or _`);
  return value;
}
