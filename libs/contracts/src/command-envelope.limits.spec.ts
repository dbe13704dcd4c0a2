import {
  checkJsonLimits,
  dottedPath,
  JSON_LIMITS,
  jsonByteLength,
  toJsonText,
  USER_JSON_MAX_DEPTH,
} from './command-envelope.limits';

/** `depth` arrays nested in each other (`[[[...]]]`), built without recursion. */
function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/** `depth` objects nested in each other (`{"a": {"a": ...}}`). */
function nestedObjects(depth: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe('JSON limits (one home for the numbers of both edges)', () => {
  it("keeps the deepest stored user JSON within MongoDB's 100 BSON levels, nested arrays doubled by the codec", () => {
    // `$set.payload.body` = 3 levels above the user JSON; each array-in-array becomes `{"%list": [...]}`.
    expect(3 + 2 * USER_JSON_MAX_DEPTH).toBeLessThan(100);
    expect(JSON_LIMITS.envelopeMaxDepth).toBe(USER_JSON_MAX_DEPTH + 3);
    expect(JSON_LIMITS.requestMaxDepth).toBe(USER_JSON_MAX_DEPTH + 5);
  });

  describe('depth', () => {
    it('accepts a value exactly at the limit', () => {
      expect(checkJsonLimits(nestedArrays(32), { maxDepth: 32 })).toBeNull();
      expect(checkJsonLimits(nestedObjects(32), { maxDepth: 32 })).toBeNull();
    });

    it.each([33, 100, 1_000, 5_000, 20_000, 200_000])(
      'refuses %i nested arrays and objects without exhausting the stack',
      (depth) => {
        expect(checkJsonLimits(nestedArrays(depth), { maxDepth: 32 })).toMatchObject({
          kind: 'too_deep',
          limit: 32,
        });
        const objects = checkJsonLimits(nestedObjects(depth), { maxDepth: 32 });
        expect(objects).toMatchObject({ kind: 'too_deep', path: Array(32).fill('a') });
      },
    );

    it('names the path of the first level too deep', () => {
      const violation = checkJsonLimits({ body: nestedArrays(5) }, { maxDepth: 4 });
      expect(violation?.message).toBe('nested deeper than 4 levels (user JSON: at most 32) at /body/0/0/0');
      expect(checkJsonLimits({ body: nestedArrays(5) }, { maxDepth: 4 }, dottedPath)?.message).toMatch(
        / at body\.0\.0\.0$/,
      );
    });

    it('counts scalars as no level', () => {
      expect(checkJsonLimits({ a: 'x', b: 1, c: null, d: true }, { maxDepth: 1 })).toBeNull();
      expect(checkJsonLimits('text', { maxDepth: 0 })).toBeNull();
    });
  });

  describe('sizes', () => {
    it('refuses a string over the limit, naming it', () => {
      const value = { a: ['x'.repeat(JSON_LIMITS.maxStringLength + 1)] };
      expect(checkJsonLimits(value, { maxDepth: 8 })).toMatchObject({
        kind: 'string_too_long',
        path: ['a', 0],
        limit: 32_768,
      });
      expect(checkJsonLimits({ a: 'x'.repeat(JSON_LIMITS.maxStringLength) }, { maxDepth: 8 })).toBeNull();
    });

    it('refuses long keys, long arrays and objects with too many keys', () => {
      expect(checkJsonLimits({ ['k'.repeat(257)]: 1 }, { maxDepth: 8 })).toMatchObject({
        kind: 'key_too_long',
      });
      expect(checkJsonLimits({ a: new Array(10_001).fill(0) }, { maxDepth: 8 })).toMatchObject({
        kind: 'array_too_long',
        path: ['a'],
      });
      const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
      expect(checkJsonLimits({ many }, { maxDepth: 8 })).toMatchObject({
        kind: 'too_many_keys',
        path: ['many'],
      });
    });

    it('measures UTF-8 bytes of JSON', () => {
      expect(jsonByteLength({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    });
  });

  describe('keys and characters the stores cannot keep', () => {
    it.each([
      ['an empty key', JSON.parse('{"body": {"": 1}}'), /empty key/],
      ['a NUL in a key', JSON.parse('{"body": {"a\\u0000b": 1}}'), /NUL/],
      ['__proto__', JSON.parse('{"body": {"__proto__": {"admin": true}}}'), /__proto__/],
      ['constructor', { body: { constructor: 1 } }, /"constructor" is not allowed/],
      ['prototype', { body: { prototype: {} } }, /"prototype" is not allowed/],
    ])('refuses %s, naming the object', (_, value, message) => {
      expect(checkJsonLimits(value, { maxDepth: 8 })).toMatchObject({
        kind: 'forbidden_key',
        path: ['body'],
        message: expect.stringMatching(message),
      });
    });

    it('refuses NUL in a string value', () => {
      expect(checkJsonLimits({ a: ['ok', 'a\u0000'] }, { maxDepth: 8 })).toMatchObject({
        kind: 'nul_character',
        path: ['a', 1],
      });
    });

    it('accepts keys with $ and . (stored escaped, never read as operators or paths)', () => {
      const value = {
        $where: 'sleep(1000)',
        'a.b': { $gt: '' },
        $schema: 'http://json-schema.org/draft-07/schema#',
      };
      expect(checkJsonLimits(value, { maxDepth: 8 })).toBeNull();
    });
  });
});

describe('toJsonText (dead-letter copies of refused commands)', () => {
  it.each([
    [{ a: [1, 'x', null, true, { b: {} }], c: undefined, d: [undefined, [[]]] }],
    [[]],
    ['text'],
    [{ 'k"ey': 'v\n' }],
  ])('writes what JSON.stringify writes: %p', (value) => {
    expect(toJsonText(value)).toBe(JSON.stringify(value));
  });

  it('writes values too deep for JSON.stringify', () => {
    const text = toJsonText({ body: nestedArrays(50_000) });
    expect(text).toBe(`{"body":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    const objects = toJsonText(nestedObjects(20_000));
    expect(objects.startsWith('{"a":{"a":')).toBe(true);
    expect(objects.length).toBe(20_000 * 2 + 19_999 * 4);
  });
});
