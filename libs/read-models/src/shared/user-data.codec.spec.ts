import { decodeUserData, encodeUserData, escapeKey, NESTED_ARRAY_KEY, unescapeKey } from './user-data.codec';

describe('user data codec (FerretDB v1 field-name limits)', () => {
  describe('escapeKey', () => {
    it.each([
      ['plain', 'plain'],
      ['a.b', 'a%2Eb'],
      ['$where', '%24where'],
      ['a$b', 'a$b'],
      ['50%', '50%25'],
      ['%2E', '%252E'],
      ['$.%', '%24%2E%25'],
      ['nul\u0000key', 'nul%00key'],
      ['', ''],
    ])('stores %j as %j', (key, stored) => {
      expect(escapeKey(key)).toBe(stored);
      expect(unescapeKey(stored)).toBe(key);
    });

    it('never produces a dot, a leading dollar or a NUL, and always round-trips', () => {
      const alphabet = ['.', '$', '%', '2', 'E', '4', '5', '0', 'a', '\u0000'];
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = 0; i < 5000; i++) {
        const key = Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
        const stored = escapeKey(key);
        expect(stored.includes('.') || stored.includes('\u0000') || stored.startsWith('$')).toBe(false);
        expect(unescapeKey(stored)).toBe(key);
      }
    });
  });

  describe('encodeUserData / decodeUserData', () => {
    const body = {
      'a.b': { $set: 1, 'x.y.z': [1, { 'k.$': true }] },
      '%list': ['looks like the wrapper'],
      matrix: [
        [1, 2],
        [3, [4, 5]],
      ],
      empty: [],
      nothing: null,
      when: new Date('2025-01-01T00:00:00Z'),
    };

    it('escapes every key at every depth and wraps arrays nested in arrays', () => {
      const stored = encodeUserData(body) as Record<string, unknown>;
      expect(stored).toEqual({
        'a%2Eb': { '%24set': 1, 'x%2Ey%2Ez': [1, { 'k%2E$': true }] },
        '%25list': ['looks like the wrapper'],
        matrix: [{ [NESTED_ARRAY_KEY]: [1, 2] }, { [NESTED_ARRAY_KEY]: [3, { [NESTED_ARRAY_KEY]: [4, 5] }] }],
        empty: [],
        nothing: null,
        when: new Date('2025-01-01T00:00:00Z'),
      });
    });

    it('round-trips', () => {
      expect(decodeUserData(encodeUserData(body))).toEqual(body);
    });

    it('drops undefined values as JSON does', () => {
      expect(encodeUserData({ a: undefined, b: [1, undefined, 2] })).toEqual({ b: [1, 2] });
    });

    it('replaces NUL characters in string values (the one lossy rule)', () => {
      expect(encodeUserData({ s: 'a\u0000b' })).toEqual({ s: 'a\uFFFDb' });
    });
  });
});
