import { ValidationError } from '@tickets/domain';
import { commandIdFor, parseIdempotencyKey } from './idempotency';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('command ids from an Idempotency-Key', () => {
  it('are UUIDs (v4 layout) that repeat for the same actor, key and record index', () => {
    const id = commandIdFor('alice', 'order-48213', 0);
    expect(id).toMatch(UUID_V4);
    expect(commandIdFor('alice', 'order-48213', 0)).toBe(id);
  });

  it('differ by actor, key and record index', () => {
    const ids = new Set([
      commandIdFor('alice', 'k1', 0),
      commandIdFor('bob', 'k1', 0),
      commandIdFor('alice', 'k2', 0),
      commandIdFor('alice', 'k1', 1),
    ]);
    expect(ids.size).toBe(4);
  });

  it('are random without a key', () => {
    const id = commandIdFor('alice', undefined, 0);
    expect(id).toMatch(UUID_V4);
    expect(commandIdFor('alice', undefined, 0)).not.toBe(id);
  });

  it('accepts keys of 1-128 characters and refuses others with 422', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('x'.repeat(128))).toBe('x'.repeat(128));
    for (const bad of ['', 'x'.repeat(129)]) {
      expect(() => parseIdempotencyKey(bad)).toThrow(ValidationError);
      expect(() => parseIdempotencyKey(bad)).toThrow(/Idempotency-Key must be 1-128 characters/);
    }
  });
});
