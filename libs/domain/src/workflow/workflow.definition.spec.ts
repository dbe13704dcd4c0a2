import { NotAllowedError, ValidationError, WorkflowBodyError } from '../shared/errors';
import { legacyWorkflowBody, supportWorkflow, supportWorkflowBody } from '../testing/fixtures';
import {
  findTransition,
  initialStateFor,
  isClosedState,
  normalizeWorkflow,
  parseWorkflow,
  resolutionKeys,
  validateWorkflow,
} from './workflow.definition';
import type { WorkflowDefinition } from './workflow.types';

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
const thrown = (fn: () => unknown): Error & { code?: number; info?: Record<string, unknown>[] } => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

/** The support workflow with one state replaced. */
const withState = (stateId: string, change: Record<string, unknown>) => ({
  ...supportWorkflowBody,
  states: supportWorkflowBody.states.map((s) => (s.state === stateId ? { ...s, ...change } : s)),
});

describe('workflow definitions (TICKETS.md section 2)', () => {
  describe('when the body is in the current form', () => {
    it('normalises it, giving missing next and resolutions empty lists', () => {
      expect(normalizeWorkflow(supportWorkflowBody)).toEqual(supportWorkflow);
    });
  });

  describe('when the body is in the legacy form (Fix: Dmart crashes on it)', () => {
    const def = parseWorkflow(legacyWorkflowBody);

    it('turns a string initial_state into [{name, roles: ["default"]}]', () => {
      expect(def.initial_state).toEqual([{ name: 'new', roles: ['default'] }]);
    });

    it('turns a singular role on a transition into roles: [role]', () => {
      expect(def.states[0]?.next).toEqual([{ action: 'assign', state: 'assigned', roles: ['agent'] }]);
    });

    it('gives a state without next an empty next and one without resolutions an empty list', () => {
      expect(def.states[2]).toEqual({ name: 'Done', state: 'done', next: [], resolutions: ['ok'] });
      expect(def.states[0]?.resolutions).toEqual([]);
    });

    it('merges role and roles when a transition has both', () => {
      const body = withState('draft', { next: [{ action: 'submit', state: 'in_progress', role: 'agent', roles: ['supervisor'] }] });
      expect(normalizeWorkflow(body).states[0]?.next[0]?.roles).toEqual(['supervisor', 'agent']);
    });
  });

  describe('when the body is missing or not an object', () => {
    it.each([undefined, null, 'workflow', 42, [supportWorkflowBody]])('refuses %p with code 218', (body) => {
      const error = thrown(() => parseWorkflow(body));
      expect(error).toBeInstanceOf(WorkflowBodyError);
      expect(error.code).toBe(218);
    });
  });

  describe('when the definition is broken (Fix: Dmart accepts it and tickets get stuck)', () => {
    const refusal = (body: unknown) => {
      const error = thrown(() => parseWorkflow(body));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe(422);
      return error;
    };

    it('refuses duplicate state ids, naming the state', () => {
      const body = { ...supportWorkflowBody, states: [...supportWorkflowBody.states, { name: 'Again', state: 'draft', next: [] }] };
      const error = refusal(body);
      expect(error.message).toContain("state id 'draft' is defined more than once");
      expect(error.info).toContainEqual(expect.objectContaining({ state: 'draft' }));
    });

    it('refuses an initial state that is not among the states, naming it', () => {
      const body = { ...supportWorkflowBody, initial_state: [{ name: 'triage', roles: ['default'] }] };
      expect(refusal(body).message).toContain("initial state 'triage' is not defined in states");
    });

    it('refuses a legacy string initial_state that is not among the states', () => {
      expect(refusal({ ...legacyWorkflowBody, initial_state: 'open' }).message).toContain("initial state 'open'");
    });

    it('refuses a transition to an unknown state, naming the state and the action', () => {
      const body = withState('in_progress', { next: [{ action: 'park', state: 'parked', roles: ['agent'] }] });
      const error = refusal(body);
      expect(error.message).toContain("state 'in_progress' action 'park' goes to unknown state 'parked'");
      expect(error.info).toContainEqual(expect.objectContaining({ state: 'in_progress', action: 'park' }));
    });

    it('refuses a transition with empty roles, naming the state and the action', () => {
      const body = withState('draft', { next: [{ action: 'submit', state: 'in_progress', roles: [] }] });
      expect(refusal(body).message).toContain("state 'draft' action 'submit' has no roles");
    });

    it('refuses a transition whose roles hold only a blank name (nobody could take it)', () => {
      const body = withState('draft', { next: [{ action: 'submit', state: 'in_progress', roles: [''] }] });
      expect(refusal(body).message).toContain("state 'draft' action 'submit' has no roles, or a blank one");
    });

    it('refuses a transition with neither roles nor role', () => {
      const body = withState('draft', { next: [{ action: 'submit', state: 'in_progress' }] });
      expect(refusal(body).message).toContain("state 'draft' action 'submit' has no roles");
    });

    it('refuses an action that appears twice within one state, naming both', () => {
      const body = withState('in_progress', {
        next: [
          { action: 'resolve', state: 'resolved', roles: ['agent'] },
          { action: 'resolve', state: 'closed', roles: ['supervisor'] },
        ],
      });
      expect(refusal(body).message).toContain("state 'in_progress' defines action 'resolve' more than once");
    });

    it('accepts the same action name in different states', () => {
      // `resolve` leaves both in_progress and escalated; `close` both in_progress and resolved.
      expect(() => parseWorkflow(supportWorkflowBody)).not.toThrow();
    });

    it('refuses resolutions mixing strings and objects, naming the state', () => {
      const body = withState('resolved', { resolutions: ['fixed', { key: 'workaround' }] });
      expect(refusal(body).message).toContain("state 'resolved' resolutions must be all strings or all objects with a key");
    });

    it('refuses resolution objects without a key', () => {
      const body = withState('resolved', { resolutions: [{ key: 'fixed' }, { en: 'Workaround' }] });
      expect(refusal(body).message).toContain("state 'resolved' resolutions");
    });

    it('refuses a workflow without states or without initial states', () => {
      expect(refusal({ ...supportWorkflowBody, states: [] }).message).toContain('defines no states');
      expect(refusal({ ...supportWorkflowBody, initial_state: [] }).message).toContain('initial_state is empty');
    });

    it('refuses wrongly typed fields, naming where', () => {
      expect(refusal({ ...supportWorkflowBody, states: 'draft' }).message).toContain('states must be an array');
      expect(refusal(withState('draft', { next: 'submit' })).message).toContain("state 'draft': next must be a list");
      expect(refusal({ ...supportWorkflowBody, states: [{ name: 'x' }] }).message).toContain('states[0] has no state id');
    });

    it('reports every problem at once', () => {
      const body = {
        ...supportWorkflowBody,
        initial_state: [{ name: 'nowhere', roles: ['default'] }],
        states: [{ name: 'A', state: 'a', next: [{ action: 'go', state: 'b', roles: [] }] }],
      };
      expect(refusal(body).info).toHaveLength(3);
    });

    it('validateWorkflow refuses a non-object with code 218', () => {
      expect(thrown(() => validateWorkflow(null as unknown as WorkflowDefinition)).code).toBe(218);
    });
  });

  describe('closed states (TICKETS.md section 4, Fix)', () => {
    it('a state with an empty next is closed', () => {
      expect(isClosedState(supportWorkflow, 'closed')).toBe(true);
    });
    it('a state without next is closed', () => {
      expect(isClosedState(supportWorkflow, 'cancelled')).toBe(true);
    });
    it('a state with transitions is open', () => {
      expect(isClosedState(supportWorkflow, 'resolved')).toBe(false);
    });
    it('an unknown state has no transitions, so it counts as closed', () => {
      expect(isClosedState(supportWorkflow, 'nowhere')).toBe(true);
    });
  });

  describe('initial state by roles (TICKETS.md section 4, create)', () => {
    it('the first entry whose roles meet the actor wins', () => {
      expect(initialStateFor(supportWorkflow, ['logged_in', 'agent'])).toBe('in_progress');
    });
    it('the first entry holding default is the fallback', () => {
      expect(initialStateFor(supportWorkflow, ['logged_in'])).toBe('draft');
    });
    it('a matching entry after the default one still wins (walked in order, default is only a fallback)', () => {
      const def: WorkflowDefinition = {
        ...supportWorkflow,
        initial_state: [
          { name: 'draft', roles: ['default'] },
          { name: 'in_progress', roles: ['agent'] },
        ],
      };
      expect(initialStateFor(def, ['agent'])).toBe('in_progress');
      expect(initialStateFor(def, ['customer'])).toBe('draft');
    });
    it('refuses with code 401 when no entry matches and none holds default', () => {
      const def: WorkflowDefinition = { ...supportWorkflow, initial_state: [{ name: 'in_progress', roles: ['agent'] }] };
      const error = thrown(() => initialStateFor(def, ['customer']));
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.code).toBe(401);
      expect(error.message).toBe('user does not have the required roles to create this ticket');
    });
  });

  describe('transitions and resolutions', () => {
    it('findTransition finds the transition of a state by action', () => {
      expect(findTransition(supportWorkflow, 'in_progress', 'resolve')).toEqual({
        action: 'resolve',
        state: 'resolved',
        roles: ['agent', 'supervisor'],
      });
      expect(findTransition(supportWorkflow, 'draft', 'resolve')).toBeUndefined();
    });
    it('resolutionKeys lists plain strings and object keys alike', () => {
      expect(resolutionKeys(supportWorkflow, 'resolved')).toEqual(['fixed', 'workaround']);
      expect(resolutionKeys(supportWorkflow, 'closed')).toEqual(['completed', 'duplicate', 'rejected']);
      expect(resolutionKeys(supportWorkflow, 'draft')).toEqual([]);
    });
  });
});
