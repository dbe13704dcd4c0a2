import type { Event, Translation } from '../shared/message';

/**
 * A workflow definition in its normalised form (TICKETS.md section 2): the legacy form (string
 * `initial_state`, singular `role`) is turned into this one by `normalizeWorkflow` before validation.
 */
export interface WorkflowDefinition {
  readonly name: string;
  readonly illustration?: string;
  /** Walked in order at create: the first entry whose roles meet the actor's wins; `default` is the fallback. */
  readonly initial_state: readonly { readonly name: string; readonly roles: readonly string[] }[];
  readonly states: readonly WorkflowState[];
}

/** One state of a workflow (section 2): label, id, outgoing transitions and the resolutions it accepts. */
export interface WorkflowState {
  /** Human label. */
  readonly name: string;
  /** State id. */
  readonly state: string;
  /** Outgoing transitions; a state with none is **closed** (TICKETS.md section 4, closed states). */
  readonly next: readonly WorkflowTransition[];
  readonly resolutions: readonly WorkflowResolution[];
}

/** A transition (section 2): `action` leads to `state`; the actor needs one of `roles` (non-empty). */
export interface WorkflowTransition {
  readonly action: string;
  readonly state: string;
  readonly roles: readonly string[];
}

/** A resolution is a plain string or an object with a `key` and translations. */
export type WorkflowResolution = string | (Translation & { readonly key: string });

/** Each definition or redefinition of a workflow is a new version (1, 2, ...) in the workflow's stream. */
export type WorkflowDefined = Event<
  'WorkflowDefined',
  {
    space_name: string;
    shortname: string;
    version: number;
    definition: WorkflowDefinition;
    displayname?: Translation;
    description?: Translation;
    at: string;
  }
>;

/** A JSON Schema (draft-7) for payload bodies (TICKETS.md section 5), versioned like workflows. */
export type SchemaDefined = Event<
  'SchemaDefined',
  { space_name: string; shortname: string; version: number; schema: Record<string, unknown>; at: string }
>;

/** A group and its roles, kept in the `management` space (TICKETS.md section 3). */
export type GroupDefined = Event<'GroupDefined', { shortname: string; roles: readonly string[]; at: string }>;
