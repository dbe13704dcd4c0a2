import { AlreadyExistsError, NotFoundError, ValidationError, WorkflowBodyError } from '../shared/errors';
import { foldEvents } from '../shared/decider';
import { DeciderSpecification } from '../testing/decider.specification';
import { legacyWorkflowBody, meta, NOW, sam, SPACE, supportWorkflow, supportWorkflowBody, supportWorkflowV2 } from '../testing/fixtures';
import { type DefineWorkflow, workflowDecider, workflowVersion } from './workflow.decider';
import { parseWorkflow } from './workflow.definition';
import type { WorkflowDefined } from './workflow.types';

const spec = DeciderSpecification.for(workflowDecider);

const define = (body: unknown, mode: 'create' | 'update' = 'create', extra: Partial<DefineWorkflow['data']> = {}): DefineWorkflow => ({
  type: 'DefineWorkflow',
  data: { space_name: SPACE, shortname: 'support', body, mode, ...extra },
  metadata: meta(sam),
});

const defined = (version: number, definition = supportWorkflow): WorkflowDefined => ({
  type: 'WorkflowDefined',
  data: { space_name: SPACE, shortname: 'support', version, definition, at: NOW },
});

describe('workflow decider (TICKETS.md section 2)', () => {
  describe('when the workflow does not exist', () => {
    it('defines version 1 from a valid body', () => {
      spec.given([]).when(define(supportWorkflowBody)).then([defined(1)]);
    });

    it('keeps displayname and description', () => {
      spec
        .given([])
        .when(define(supportWorkflowBody, 'create', { displayname: { en: 'Support' }, description: { ar: 'دعم' } }))
        .then([{ ...defined(1), data: { ...defined(1).data, displayname: { en: 'Support' }, description: { ar: 'دعم' } } }]);
    });

    it('stores a legacy body normalised', () => {
      spec.given([]).when(define(legacyWorkflowBody)).then([defined(1, parseWorkflow(legacyWorkflowBody))]);
    });

    it('refuses a missing body with code 218', () => {
      spec.given([]).when(define(undefined)).thenThrows(WorkflowBodyError, (e) => e.code === 218);
    });

    it('refuses a broken definition with code 422 naming the state and action', () => {
      const broken = { ...supportWorkflowBody, initial_state: 'nowhere' };
      spec
        .given([])
        .when(define(broken))
        .thenThrows(ValidationError, (e) => e.code === 422 && e.message.includes("initial state 'nowhere'"));
    });

    it('refuses an update with code 220', () => {
      spec.given([]).when(define(supportWorkflowBody, 'update')).thenThrows(NotFoundError, (e) => e.code === 220);
    });
  });

  describe('when the workflow exists', () => {
    it('refuses a create with code 400', () => {
      spec.given([defined(1)]).when(define(supportWorkflowBody)).thenThrows(AlreadyExistsError, (e) => e.code === 400);
    });

    it('an update defines the next version', () => {
      spec.given([defined(1), defined(2)]).when(define(supportWorkflowV2, 'update')).then([defined(3, supportWorkflowV2)]);
    });
  });

  describe('versions (a ticket keeps following the version it was created under)', () => {
    const state = foldEvents(workflowDecider, [defined(1), defined(2, supportWorkflowV2)]);

    it('the latest definition is the current one', () => {
      expect(workflowVersion(state)).toEqual({ version: 2, definition: supportWorkflowV2 });
    });

    it('every earlier version stays available by number', () => {
      expect(workflowVersion(state, 1)).toEqual({ version: 1, definition: supportWorkflow });
    });

    it('an unknown version or workflow is "not found" (220)', () => {
      expect(() => workflowVersion(state, 7)).toThrow(NotFoundError);
      expect(() => workflowVersion(workflowDecider.initialState())).toThrow('workflow not found');
    });
  });
});
