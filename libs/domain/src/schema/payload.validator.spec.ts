import { ValidationError } from '../shared/errors';
import { complaintSchema } from '../testing/fixtures';
import { compileSchema, validatePayload } from './payload.validator';

const violation = (body: unknown): ValidationError => {
  try {
    validatePayload(complaintSchema, body);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('payload validation (TICKETS.md section 5)', () => {
  describe('when the body matches the schema', () => {
    it('accepts it', () => {
      expect(() => validatePayload(complaintSchema, { title: 'No signal', priority: 2, email: 'a@b.iq' })).not.toThrow();
    });
  });

  describe('when the body violates the schema', () => {
    it('refuses with code 422 naming the failing path', () => {
      const error = violation({ title: 'No signal', priority: 'high' });
      expect(error.code).toBe(422);
      expect(error.message).toBe('payload does not match schema: /body/priority must be integer');
      expect(error.info).toEqual([{ path: '/body/priority', keyword: 'type', message: 'must be integer' }]);
    });

    it('lists every failing path (allErrors), including nested ones', () => {
      const error = violation({ title: '', priority: 9, details: { msisdn: 'abc' } });
      expect(error.info?.map((v) => v['path'])).toEqual(['/body/title', '/body/priority', '/body/details/msisdn']);
    });

    it('names a missing required property and a forbidden extra one at their own paths', () => {
      const error = violation({ priority: 1, colour: 'red' });
      expect(error.message).toContain('/body/title is required');
      expect(error.message).toContain('/body/colour is not allowed');
    });

    it('checks formats (ajv-formats)', () => {
      expect(violation({ title: 't', priority: 1, email: 'not-an-email' }).message).toContain('/body/email must match format "email"');
    });
  });

  describe('when the schema does not compile', () => {
    it('refuses with code 422', () => {
      expect(() => compileSchema({ type: 'integr' })).toThrow(ValidationError);
      expect(() => compileSchema('string')).toThrow('invalid JSON schema');
    });
  });

  describe('caching', () => {
    it('compiles a schema once, even when re-read into a new object', () => {
      expect(compileSchema(complaintSchema)).toBe(compileSchema(JSON.parse(JSON.stringify(complaintSchema))));
    });

    it('accepts two versions of a schema sharing one $id', () => {
      const v2 = { ...complaintSchema, required: ['title'] };
      expect(() => validatePayload(v2, { title: 't' })).not.toThrow();
      expect(() => validatePayload(complaintSchema, { title: 't' })).toThrow(ValidationError);
    });
  });
});

describe('when a schema pattern backtracks catastrophically in a backtracking engine', () => {
  it('validates in linear time (RE2) and still reports the failing path', () => {
    const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } };
    // A backtracking engine needs about 2^5000 steps here (this test would never end); RE2 is linear.
    expect(() => validatePayload(schema, { code: `${'a'.repeat(5000)}!` })).toThrow(/\/body\/code must match pattern/);
    expect(() => validatePayload(schema, { code: 'aaaa' })).not.toThrow();
  });

  it('keeps each schema on its own pattern', () => {
    const digits = { type: 'object', properties: { n: { type: 'string', pattern: '^[0-9]{3}$' } } };
    const letters = { type: 'object', properties: { n: { type: 'string', pattern: '^[a-z]{3}$' } } };
    expect(() => validatePayload(digits, { n: '123' })).not.toThrow();
    expect(() => validatePayload(letters, { n: 'abc' })).not.toThrow();
    expect(() => validatePayload(letters, { n: '123' })).toThrow(ValidationError);
  });
});
