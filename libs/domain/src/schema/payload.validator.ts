import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import { ValidationError } from '../shared/errors';

/** A JSON Schema (draft-7) as stored in a `schema` resource (TICKETS.md section 5). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** One failing path of a payload, as listed in the `ValidationError`'s `info`. */
export interface PayloadViolation {
  /** JSON pointer from the payload, e.g. `/body/priority`. */
  readonly path: string;
  /** Ajv keyword that failed, e.g. `type`, `required`. */
  readonly keyword: string;
  /** Human message, e.g. `must be integer`. */
  readonly message: string;
}

// One Ajv instance for the process (a compiler, not a connection). `addUsedSchema: false` so two versions of a
// schema with the same `$id` do not collide; `strict: false` because draft-7 allows unknown keywords (Dmart
// schemas carry e.g. UI hints), while `validateSchema` (default) still refuses schemas that break the meta-schema.
// Schema `pattern`s are user input: they run on RE2 (re2js, linear time), so a pattern such as `^(a+)+$` cannot
// stall command processing with catastrophic backtracking (ajv's `code.regExp` option).
const re2 = (pattern: string, flags: string) => {
  const compiled = RE2JS.compile(pattern, flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
  // ajv keys its cache of compiled patterns by `toString()`: it must name the pattern.
  return { test: (value: string) => compiled.test(value), toString: () => `/${pattern}/${flags}` };
};
re2.code = 'RE2JS';

let ajv: Ajv | undefined;
const compiler = (): Ajv => {
  if (ajv === undefined) {
    ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false, logger: false, code: { regExp: re2 } });
    addFormats(ajv);
  }
  return ajv;
};

const byObject = new WeakMap<object, ValidateFunction>();
// Callers may re-read the same schema into new objects; a bounded map keyed by its JSON text avoids recompiling.
const byText = new Map<string, ValidateFunction>();
const BY_TEXT_LIMIT = 500;

/**
 * Compiles `schema` (draft-7) or explains why it cannot be compiled.
 * @returns the compiled validator (cached by object identity and by JSON text).
 * @throws ValidationError (422) "invalid JSON schema: ..." when it is not an object or not a valid draft-7 schema.
 */
export const compileSchema = (schema: unknown): ValidateFunction => {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ValidationError('invalid JSON schema: a schema must be a JSON object');
  }
  const cached = byObject.get(schema);
  if (cached !== undefined) return cached;
  const text = JSON.stringify(schema);
  let validate = byText.get(text);
  if (validate === undefined) {
    try {
      validate = compiler().compile(schema);
    } catch (error) {
      throw new ValidationError(`invalid JSON schema: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (byText.size >= BY_TEXT_LIMIT) byText.delete(byText.keys().next().value as string);
    byText.set(text, validate);
  }
  byObject.set(schema, validate);
  return validate;
};

const toViolation = (error: ErrorObject): PayloadViolation => {
  const base = `/body${error.instancePath}`;
  if (error.keyword === 'required') {
    return { path: `${base}/${String(error.params['missingProperty'])}`, keyword: 'required', message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    return {
      path: `${base}/${String(error.params['additionalProperty'])}`,
      keyword: 'additionalProperties',
      message: 'is not allowed',
    };
  }
  return { path: base, keyword: error.keyword, message: error.message ?? 'is invalid' };
};

/**
 * Validates a payload `body` against its JSON schema (TICKETS.md section 5: on create, update and patch).
 * Paths are JSON pointers rooted at the payload: `/body/priority`. A missing required property or a forbidden
 * additional one is reported at its own path (`/body/title is required`, `/body/extra is not allowed`).
 *
 * @throws ValidationError (422) with message `payload does not match schema: /body/priority must be integer; ...`
 *   and `info` = `PayloadViolation[]`; or "invalid JSON schema" when the schema itself does not compile.
 */
export const validatePayload = (schema: JsonSchema, body: unknown): void => {
  const validate = compileSchema(schema);
  if (validate(body)) return;
  const violations = (validate.errors ?? []).map(toViolation);
  const unique = [...new Map(violations.map((v) => [`${v.path} ${v.message}`, v])).values()];
  throw new ValidationError(
    `payload does not match schema: ${unique.map((v) => `${v.path} ${v.message}`).join('; ')}`,
    unique.map((v) => ({ ...v })),
  );
};
