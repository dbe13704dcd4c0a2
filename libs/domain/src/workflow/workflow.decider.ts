import { AlreadyExistsError, NotFoundError } from '../shared/errors';
import type { Decider } from '../shared/decider';
import type { Command, CommandMetadata, DefineMode, Translation } from '../shared/message';
import { parseWorkflow } from './workflow.definition';
import type { WorkflowDefined, WorkflowDefinition } from './workflow.types';

/**
 * Defines (mode `create`) or redefines (mode `update`) the workflow `space_name/workflows/shortname`
 * (TICKETS.md section 2). `body` is the raw `payload.body` of the request: it is normalised (legacy form
 * accepted) and validated by the decider.
 */
export type DefineWorkflow = Command<
  'DefineWorkflow',
  {
    space_name: string;
    shortname: string;
    body: unknown;
    displayname?: Translation;
    description?: Translation;
    mode: DefineMode;
  },
  CommandMetadata
>;

/** Every command of a workflow stream. */
export type WorkflowCommand = DefineWorkflow;
/** Every event of a workflow stream. */
export type WorkflowEvent = WorkflowDefined;

/**
 * State of one workflow stream: the latest definition plus every version by number, so a ticket keeps following
 * the version it was created under (section 2, versioned workflows).
 */
export type WorkflowStreamState = Readonly<
  | { status: 'absent' }
  | {
      status: 'defined';
      space_name: string;
      shortname: string;
      /** Latest version number (1, 2, ...). */
      version: number;
      /** Latest definition. */
      definition: WorkflowDefinition;
      displayname?: Translation;
      description?: Translation;
      versions: Readonly<Record<number, WorkflowDefinition>>;
    }
>;

/** A workflow stream with nothing in it. */
export const initialWorkflowState = (): WorkflowStreamState => ({ status: 'absent' });

/**
 * `DefineWorkflow` -> `[WorkflowDefined]` with `version` = previous version + 1 (1 for the first definition).
 * Every (re)definition is a new version, even when the body is unchanged.
 * @throws WorkflowBodyError (218) body missing / not an object; ValidationError (422) broken definition (names
 *   the state/action); AlreadyExistsError (400) `create` of an existing workflow; NotFoundError (220) `update`
 *   of an absent one.
 */
export const decideWorkflow = (command: WorkflowCommand, state: WorkflowStreamState): WorkflowEvent[] => {
  const { type } = command;
  switch (type) {
    case 'DefineWorkflow':
      return [defineWorkflow(command, state)];
    default: {
      const _: never = type;
      return _;
    }
  }
};

const defineWorkflow = ({ data, metadata }: DefineWorkflow, state: WorkflowStreamState): WorkflowDefined => {
  const where = `workflow '${data.shortname}' in space '${data.space_name}'`;
  if (data.mode === 'create' && state.status === 'defined') throw new AlreadyExistsError(`${where} already exists`);
  if (data.mode === 'update' && state.status === 'absent') throw new NotFoundError(`${where} not found`);
  const definition = parseWorkflow(data.body);
  return {
    type: 'WorkflowDefined',
    data: {
      space_name: data.space_name,
      shortname: data.shortname,
      version: state.status === 'defined' ? state.version + 1 : 1,
      definition,
      ...(data.displayname === undefined ? {} : { displayname: data.displayname }),
      ...(data.description === undefined ? {} : { description: data.description }),
      at: metadata.now,
    },
  };
};

/** Applies a `WorkflowDefined`: it becomes the latest definition and is kept under its version number. */
export const evolveWorkflow = (state: WorkflowStreamState, event: WorkflowEvent): WorkflowStreamState => {
  const { type, data } = event;
  switch (type) {
    case 'WorkflowDefined':
      return {
        status: 'defined',
        space_name: data.space_name,
        shortname: data.shortname,
        version: data.version,
        definition: data.definition,
        ...(data.displayname === undefined ? {} : { displayname: data.displayname }),
        ...(data.description === undefined ? {} : { description: data.description }),
        versions: { ...(state.status === 'defined' ? state.versions : {}), [data.version]: data.definition },
      };
    default: {
      const _: never = type;
      return _;
    }
  }
};

/**
 * The definition of `version` (the ticket's `workflow_version`), or the latest one when `version` is undefined.
 * @throws NotFoundError (220) "workflow not found" when the workflow or that version does not exist (section 4:
 *   unknown workflow -> 220, **Fix** for Dmart's 500).
 */
export const workflowVersion = (
  state: WorkflowStreamState,
  version?: number,
): { readonly version: number; readonly definition: WorkflowDefinition } => {
  if (state.status === 'absent') throw new NotFoundError('workflow not found');
  if (version === undefined) return { version: state.version, definition: state.definition };
  const definition = state.versions[version];
  if (definition === undefined) throw new NotFoundError(`workflow '${state.shortname}' version ${version} not found`);
  return { version, definition };
};

/** The workflow decider (section 2): `{decide, evolve, initialState}` for one workflow stream. */
export const workflowDecider: Decider<WorkflowStreamState, WorkflowCommand, WorkflowEvent> = {
  decide: decideWorkflow,
  evolve: evolveWorkflow,
  initialState: initialWorkflowState,
};
