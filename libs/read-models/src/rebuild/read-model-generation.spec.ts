import { canonicalJson } from './content-hash';
import { generationOfCollection, readModelGeneration, sameGeneration } from './read-model-generation';

describe('read model generations', () => {
  it('keeps the plain collection names and PROJECTION_NAME for generation 1', () => {
    expect(readModelGeneration(1, 'tickets')).toEqual({
      version: 1,
      collections: { tickets: 'tickets', ticket_counters: 'ticket_counters', workflows: 'workflows' },
      checkpoint: 'tickets',
    });
  });

  it('suffixes the names and the checkpoint of a rebuilt generation', () => {
    expect(readModelGeneration(3, 'tickets')).toEqual({
      version: 3,
      collections: { tickets: 'tickets_v3', ticket_counters: 'ticket_counters_v3', workflows: 'workflows_v3' },
      checkpoint: 'tickets_v3',
    });
    expect(() => readModelGeneration(0, 'tickets')).toThrow(RangeError);
  });

  it('tells which generation a collection belongs to', () => {
    expect(generationOfCollection('tickets')).toBe(1);
    expect(generationOfCollection('ticket_counters_v12')).toBe(12);
    expect(generationOfCollection('workflows_v2')).toBe(2);
    expect(generationOfCollection('projection_checkpoints')).toBeNull();
    expect(generationOfCollection('read_model_aliases')).toBeNull();
    expect(generationOfCollection('other_v2')).toBeNull();
    expect(generationOfCollection('tickets_v1')).toBeNull();
  });

  it('compares generations by collections and checkpoint', () => {
    expect(sameGeneration(readModelGeneration(2, 'a'), readModelGeneration(2, 'a'))).toBe(true);
    expect(sameGeneration(readModelGeneration(2, 'a'), readModelGeneration(2, 'b'))).toBe(false);
  });
});

describe('canonical JSON of read model documents (content hash)', () => {
  it('ignores key order, which depends on the order of past updates', () => {
    expect(canonicalJson({ b: 1, a: { y: [1, 2], x: null } })).toBe(canonicalJson({ a: { x: null, y: [1, 2] }, b: 1 }));
  });
  it('keeps array order and tells dates from strings', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    const at = new Date('2025-01-01T00:00:00.000Z');
    expect(canonicalJson({ at })).toBe('{"at":{"$date":"2025-01-01T00:00:00.000Z"}}');
    expect(canonicalJson({ at })).not.toBe(canonicalJson({ at: at.toISOString() }));
  });
  it('tells a missing field from a null one only by presence', () => {
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });
});
