import { AlreadyExistsError, NotFoundError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import { meta, NOW, sam } from '../testing/fixtures';
import type { GroupDefined } from '../workflow/workflow.types';
import { type DefineGroup, effectiveRoles, groupDecider } from './group.decider';

const spec = DeciderSpecification.for(groupDecider);

const define = (roles: readonly string[], mode: 'create' | 'update' = 'create'): DefineGroup => ({
  type: 'DefineGroup',
  data: { shortname: 'front_desk', roles, mode },
  metadata: meta(sam),
});
const defined = (roles: readonly string[]): GroupDefined => ({
  type: 'GroupDefined',
  data: { shortname: 'front_desk', roles, at: NOW },
});

describe('group decider (TICKETS.md section 3)', () => {
  describe('when the group does not exist', () => {
    it('defines it with its roles, de-duplicated', () => {
      spec.given([]).when(define(['agent', 'agent', 'reporter'])).then([defined(['agent', 'reporter'])]);
    });
    it('refuses roles that are not non-empty strings with code 422', () => {
      spec.given([]).when(define(['agent', ''])).thenThrows(ValidationError, (e) => e.code === 422);
    });
    it('refuses an update with code 220', () => {
      spec.given([]).when(define(['agent'], 'update')).thenThrows(NotFoundError);
    });
  });

  describe('when the group exists', () => {
    it('refuses a create with code 400', () => {
      spec.given([defined(['agent'])]).when(define(['agent'])).thenThrows(AlreadyExistsError, (e) => e.code === 400);
    });
    it('an update replaces its roles', () => {
      spec.given([defined(['agent'])]).when(define(['supervisor'], 'update')).then([defined(['supervisor'])]);
    });
  });

  describe("an actor's effective roles (Fix: Dmart ignores group roles)", () => {
    it('are the token roles, plus logged_in, plus the roles of their groups', () => {
      expect(effectiveRoles(['customer'], [['agent', 'reporter'], ['supervisor']])).toEqual([
        'customer',
        'logged_in',
        'agent',
        'reporter',
        'supervisor',
      ]);
    });
    it('include logged_in for any authenticated user, even without token roles or groups', () => {
      expect(effectiveRoles([])).toEqual(['logged_in']);
    });
  });
});
