import { AlreadyExistsError, NotFoundError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import { complaintSchema, meta, NOW, sam, SPACE } from '../testing/fixtures';
import type { SchemaDefined } from '../workflow/workflow.types';
import { type DefineSchema, schemaDecider } from './schema.decider';

const spec = DeciderSpecification.for(schemaDecider);

const define = (schema: unknown, mode: 'create' | 'update' = 'create'): DefineSchema => ({
  type: 'DefineSchema',
  data: { space_name: SPACE, shortname: 'complaint', schema, mode },
  metadata: meta(sam),
});
const defined = (version: number, schema = complaintSchema): SchemaDefined => ({
  type: 'SchemaDefined',
  data: { space_name: SPACE, shortname: 'complaint', version, schema: { ...schema }, at: NOW },
});

describe('schema decider (TICKETS.md section 5)', () => {
  describe('when the schema does not exist', () => {
    it('defines version 1 of a valid draft-7 schema', () => {
      spec.given([]).when(define(complaintSchema)).then([defined(1)]);
    });

    it('refuses a schema that does not compile with code 422', () => {
      spec
        .given([])
        .when(define({ type: 'object', properties: { priority: { type: 'integr' } } }))
        .thenThrows(ValidationError, (e) => e.code === 422 && e.message.startsWith('invalid JSON schema'));
    });

    it('refuses a schema that is not an object with code 422', () => {
      spec.given([]).when(define(['type', 'object'])).thenThrows(ValidationError);
    });

    it('refuses an update with code 220', () => {
      spec.given([]).when(define(complaintSchema, 'update')).thenThrows(NotFoundError, (e) => e.code === 220);
    });
  });

  describe('when the schema exists', () => {
    it('refuses a create with code 400', () => {
      spec.given([defined(1)]).when(define(complaintSchema)).thenThrows(AlreadyExistsError, (e) => e.code === 400);
    });

    it('an update defines the next version', () => {
      const v2 = { ...complaintSchema, required: ['title'] };
      spec.given([defined(1)]).when(define(v2, 'update')).then([defined(2, v2)]);
    });

    it('keeps every version', () => {
      const v2 = { ...complaintSchema, required: ['title'] };
      const state = [defined(1), defined(2, v2)].reduce(schemaDecider.evolve, schemaDecider.initialState());
      expect(state.status === 'defined' && state.versions).toEqual({ 1: complaintSchema, 2: v2 });
    });
  });
});
