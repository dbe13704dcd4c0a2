import { NotAllowedError, ValidationError, WorkflowBodyError } from '../shared/errors';
import { isNonEmptyString, isPlainObject } from '../shared/guards';
import type { WorkflowDefinition, WorkflowResolution, WorkflowState, WorkflowTransition } from './workflow.types';

/** The keyword marking the fallback entry of `initial_state` (TICKETS.md section 4, create). */
export const DEFAULT_ROLE = 'default';

/** One problem found in a workflow body: where (state/action) and what. Listed in the error's `info`. */
export interface WorkflowProblem {
  readonly state?: string;
  readonly action?: string;
  readonly message: string;
}

const problemsError = (problems: readonly WorkflowProblem[]): ValidationError =>
  new ValidationError(
    `invalid workflow: ${problems.map((p) => p.message).join('; ')}`,
    problems.map((p) => ({ ...p })),
  );

const describeState = (index: number, id: unknown): string =>
  isNonEmptyString(id) ? `state '${id}'` : `states[${index}]`;

/**
 * Turns a workflow `payload.body` (TICKETS.md section 2) into the normalised `WorkflowDefinition`, accepting the
 * **legacy form** (**Fix**: Dmart crashes on it):
 * - `initial_state: "new"` -> `[{name: "new", roles: ["default"]}]` (entries given as plain strings likewise);
 * - a transition's singular `role: "agent"` -> `roles: ["agent"]` (merged with `roles` when both are given);
 * - a missing `next` -> `[]` (the state is then closed), a missing `resolutions` -> `[]`;
 * - a missing state label `name` -> the state id.
 *
 * Only the *shape* is checked here (strings where strings are expected); the section-2 rules are checked by
 * `validateWorkflow`. Use `parseWorkflow` to do both.
 *
 * @throws WorkflowBodyError (218) when `body` is missing or not an object.
 * @throws ValidationError (422) when a field has the wrong type; the message names the state/action.
 */
export const normalizeWorkflow = (body: unknown): WorkflowDefinition => {
  if (!isPlainObject(body)) throw new WorkflowBodyError('workflow body is missing or is not an object');
  const problems: WorkflowProblem[] = [];

  const initial = normalizeInitialState(body['initial_state'], problems);
  if (!Array.isArray(body['states'])) {
    problems.push({ message: 'workflow states must be an array' });
  }
  const states = (Array.isArray(body['states']) ? body['states'] : []).map((raw, index) =>
    normalizeState(raw, index, problems),
  );
  if (problems.length > 0) throw problemsError(problems);

  const name = typeof body['name'] === 'string' ? body['name'] : '';
  const illustration = typeof body['illustration'] === 'string' ? body['illustration'] : undefined;
  return {
    name,
    ...(illustration === undefined ? {} : { illustration }),
    initial_state: initial,
    states: states.filter((s): s is WorkflowState => s !== undefined),
  };
};

const normalizeInitialState = (raw: unknown, problems: WorkflowProblem[]): WorkflowDefinition['initial_state'] => {
  if (typeof raw === 'string') return [{ name: raw, roles: [DEFAULT_ROLE] }];
  if (!Array.isArray(raw)) {
    problems.push({ message: 'initial_state must be a state id or a list of {name, roles}' });
    return [];
  }
  return raw.flatMap((entry, index) => {
    if (typeof entry === 'string') return [{ name: entry, roles: [DEFAULT_ROLE] }];
    if (isPlainObject(entry) && typeof entry['name'] === 'string' && isStringList(entry['roles'])) {
      return [{ name: entry['name'], roles: [...entry['roles']] }];
    }
    problems.push({ message: `initial_state[${index}] must be {name: string, roles: string[]}` });
    return [];
  });
};

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

const normalizeState = (raw: unknown, index: number, problems: WorkflowProblem[]): WorkflowState | undefined => {
  if (!isPlainObject(raw)) {
    problems.push({ message: `states[${index}] must be an object` });
    return undefined;
  }
  const id = raw['state'];
  const where = describeState(index, id);
  if (!isNonEmptyString(id)) {
    problems.push({ message: `states[${index}] has no state id ("state")` });
    return undefined;
  }
  const rawNext = raw['next'] ?? [];
  if (!Array.isArray(rawNext)) {
    problems.push({ state: id, message: `${where}: next must be a list of transitions` });
    return undefined;
  }
  const next = rawNext.flatMap((t, i): WorkflowTransition[] => {
    const transition = normalizeTransition(t);
    if (transition === undefined) {
      const action = isPlainObject(t) && typeof t['action'] === 'string' ? t['action'] : undefined;
      problems.push({
        state: id,
        ...(action === undefined ? {} : { action }),
        message: `${where}: next[${i}]${action === undefined ? '' : ` (action '${action}')`} must be {action: string, state: string, roles: string[]}`,
      });
      return [];
    }
    return [transition];
  });
  const rawResolutions = raw['resolutions'] ?? [];
  if (!Array.isArray(rawResolutions)) {
    problems.push({ state: id, message: `${where}: resolutions must be a list` });
    return undefined;
  }
  return {
    name: typeof raw['name'] === 'string' ? raw['name'] : id,
    state: id,
    next,
    // Kept as given: whether they are all strings or all keyed objects is a section-2 rule (validateWorkflow).
    resolutions: rawResolutions as WorkflowResolution[],
  };
};

const normalizeTransition = (raw: unknown): WorkflowTransition | undefined => {
  if (!isPlainObject(raw) || typeof raw['action'] !== 'string' || typeof raw['state'] !== 'string') return undefined;
  const roles = raw['roles'] ?? [];
  const role = raw['role'];
  if (!isStringList(roles)) return undefined;
  let legacy: string[];
  if (role === undefined || role === null) legacy = [];
  else if (typeof role === 'string') legacy = [role];
  else if (isStringList(role)) legacy = role;
  else return undefined;
  return { action: raw['action'], state: raw['state'], roles: [...new Set([...roles, ...legacy])] };
};

/**
 * Enforces every rule of TICKETS.md section 2 "Validated when defined" (**Fix**: Dmart accepts broken
 * workflows and tickets get stuck) on a normalised definition:
 * - at least one state and one `initial_state` entry, each entry with at least one role;
 * - state ids unique;
 * - every `initial_state.name` and every transition target exists in `states`;
 * - every transition has a non-empty action and non-empty `roles`, none of them blank;
 * - within one state an action name appears once;
 * - resolutions are all strings or all objects with a string `key`.
 * All problems are reported at once; the message names each offending state/action and `info` lists them as
 * `{state?, action?, message}`.
 *
 * @returns the same definition, for chaining.
 * @throws WorkflowBodyError (218) when `def` is not an object; ValidationError (422) otherwise.
 */
export const validateWorkflow = (def: WorkflowDefinition): WorkflowDefinition => {
  if (!isPlainObject(def)) throw new WorkflowBodyError('workflow body is missing or is not an object');
  const problems: WorkflowProblem[] = [];
  const ids = new Set<string>();
  if (def.states.length === 0) problems.push({ message: 'the workflow defines no states' });
  for (const state of def.states) {
    if (ids.has(state.state)) problems.push({ state: state.state, message: `state id '${state.state}' is defined more than once` });
    ids.add(state.state);
  }
  if (def.initial_state.length === 0) problems.push({ message: 'initial_state is empty' });
  for (const entry of def.initial_state) {
    if (!ids.has(entry.name)) {
      problems.push({ state: entry.name, message: `initial state '${entry.name}' is not defined in states` });
    }
    if (entry.roles.length === 0 || entry.roles.some((role) => role.trim() === '')) {
      problems.push({ state: entry.name, message: `initial state '${entry.name}' has no roles, or a blank one` });
    }
  }
  for (const state of def.states) {
    const seen = new Set<string>();
    for (const t of state.next) {
      const at = { state: state.state, action: t.action };
      if (t.action.trim() === '') problems.push({ ...at, message: `state '${state.state}' has a transition without an action` });
      if (seen.has(t.action)) {
        problems.push({ ...at, message: `state '${state.state}' defines action '${t.action}' more than once` });
      }
      seen.add(t.action);
      if (!ids.has(t.state)) {
        problems.push({ ...at, message: `state '${state.state}' action '${t.action}' goes to unknown state '${t.state}'` });
      }
      if (t.roles.length === 0 || t.roles.some((role) => role.trim() === '')) {
        problems.push({ ...at, message: `state '${state.state}' action '${t.action}' has no roles, or a blank one` });
      }
    }
    const allStrings = state.resolutions.every((r) => typeof r === 'string');
    const allKeyed = state.resolutions.every((r) => isPlainObject(r) && isNonEmptyString(r['key']));
    if (!allStrings && !allKeyed) {
      problems.push({
        state: state.state,
        message: `state '${state.state}' resolutions must be all strings or all objects with a key`,
      });
    }
  }
  if (problems.length > 0) throw problemsError(problems);
  return def;
};

/**
 * `validateWorkflow(normalizeWorkflow(body))`: what a workflow definition request goes through (section 2).
 * @throws WorkflowBodyError (218), ValidationError (422): see both functions.
 */
export const parseWorkflow = (body: unknown): WorkflowDefinition => validateWorkflow(normalizeWorkflow(body));

/** The state `stateId` of `def`, or `undefined`. */
export const findState = (def: WorkflowDefinition, stateId: string): WorkflowState | undefined =>
  def.states.find((s) => s.state === stateId);

/**
 * A state is **closed** iff it has no outgoing transitions (no `next` or an empty `next`): TICKETS.md
 * section 4 "Closed states" (**Fix**: Dmart's "has a `next` key" rule leaves `next: []` states open for ever).
 * A state id the definition does not know has no transitions either, so it counts as closed.
 */
export const isClosedState = (def: WorkflowDefinition, stateId: string): boolean =>
  (findState(def, stateId)?.next.length ?? 0) === 0;

/**
 * The initial state of a ticket created by an actor with `actorRoles` (effective roles, section 3), per
 * TICKETS.md section 4 "Create": walk `initial_state` in order; the first entry whose roles intersect the actor's
 * wins immediately; otherwise the first entry holding the keyword `default` is the fallback.
 *
 * @returns the state id.
 * @throws NotAllowedError (401) "user does not have the required roles to create this ticket" when no entry
 *   matches and none holds `default`.
 */
export const initialStateFor = (def: WorkflowDefinition, actorRoles: readonly string[]): string => {
  const roles = new Set(actorRoles);
  let fallback: string | undefined;
  for (const entry of def.initial_state) {
    if (entry.roles.some((r) => r !== DEFAULT_ROLE && roles.has(r))) return entry.name;
    if (fallback === undefined && entry.roles.includes(DEFAULT_ROLE)) fallback = entry.name;
  }
  if (fallback !== undefined) return fallback;
  throw new NotAllowedError('user does not have the required roles to create this ticket');
};

/** The transition leaving `fromState` with `action`, or `undefined` (section 4, progress). */
export const findTransition = (
  def: WorkflowDefinition,
  fromState: string,
  action: string,
): WorkflowTransition | undefined => findState(def, fromState)?.next.find((t) => t.action === action);

/** The resolution keys state `stateId` defines: the strings themselves, or each object's `key` (section 2). */
export const resolutionKeys = (def: WorkflowDefinition, stateId: string): string[] =>
  (findState(def, stateId)?.resolutions ?? []).map((r) => (typeof r === 'string' ? r : r.key));
