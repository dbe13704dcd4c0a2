import type { Decider } from '../shared/decider';
import { AlreadyExistsError, NotFoundError } from '../shared/errors';
import type { Command, CommandMetadata, DefineMode } from '../shared/message';
import type { SchemaDefined } from '../workflow/workflow.types';
import { compileSchema, type JsonSchema } from './payload.validator';

/**
 * Defines (mode `create`) or redefines (mode `update`) the payload schema `space_name/schema/shortname`
 * (TICKETS.md section 5). `schema` is the raw JSON Schema (draft-7) from the request's `payload.body`.
 */
export type DefineSchema = Command<
  'DefineSchema',
  { space_name: string; shortname: string; schema: unknown; mode: DefineMode },
  CommandMetadata
>;

/** Every command of a schema stream. */
export type SchemaCommand = DefineSchema;
/** Every event of a schema stream. */
export type SchemaEvent = SchemaDefined;

/** State of one schema stream: the latest schema plus every version by number. */
export type SchemaStreamState = Readonly<
  | { status: 'absent' }
  | {
      status: 'defined';
      space_name: string;
      shortname: string;
      version: number;
      schema: JsonSchema;
      versions: Readonly<Record<number, JsonSchema>>;
    }
>;

/** A schema stream with nothing in it. */
export const initialSchemaState = (): SchemaStreamState => ({ status: 'absent' });

/**
 * `DefineSchema` -> `[SchemaDefined]` with `version` = previous + 1. The schema must compile as draft-7 with ajv.
 * @throws ValidationError (422) "invalid JSON schema: ..." when it is not an object or does not compile;
 *   AlreadyExistsError (400) `create` of an existing schema; NotFoundError (220) `update` of an absent one.
 */
export const decideSchema = (command: SchemaCommand, state: SchemaStreamState): SchemaEvent[] => {
  const { type } = command;
  switch (type) {
    case 'DefineSchema':
      return [defineSchema(command, state)];
    default: {
      const _: never = type;
      return _;
    }
  }
};

const defineSchema = ({ data, metadata }: DefineSchema, state: SchemaStreamState): SchemaDefined => {
  const where = `schema '${data.shortname}' in space '${data.space_name}'`;
  if (data.mode === 'create' && state.status === 'defined') throw new AlreadyExistsError(`${where} already exists`);
  if (data.mode === 'update' && state.status === 'absent') throw new NotFoundError(`${where} not found`);
  compileSchema(data.schema);
  return {
    type: 'SchemaDefined',
    data: {
      space_name: data.space_name,
      shortname: data.shortname,
      version: state.status === 'defined' ? state.version + 1 : 1,
      schema: data.schema as Record<string, unknown>,
      at: metadata.now,
    },
  };
};

/** Applies a `SchemaDefined`: it becomes the latest schema and is kept under its version number. */
export const evolveSchema = (state: SchemaStreamState, event: SchemaEvent): SchemaStreamState => {
  const { type, data } = event;
  switch (type) {
    case 'SchemaDefined':
      return {
        status: 'defined',
        space_name: data.space_name,
        shortname: data.shortname,
        version: data.version,
        schema: data.schema,
        versions: { ...(state.status === 'defined' ? state.versions : {}), [data.version]: data.schema },
      };
    default: {
      const _: never = type;
      return _;
    }
  }
};

/** The schema decider (section 5): `{decide, evolve, initialState}` for one schema stream. */
export const schemaDecider: Decider<SchemaStreamState, SchemaCommand, SchemaEvent> = {
  decide: decideSchema,
  evolve: evolveSchema,
  initialState: initialSchemaState,
};
