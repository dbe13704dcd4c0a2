import { guardDecision } from './revision-guard';

describe('revision guard (oskardudycz samples/decider)', () => {
  it('applies the first event of a stream when there is no document', () => expect(guardDecision(null, 0)).toBe('apply'));
  it('applies the next revision', () => expect(guardDecision(3, 4)).toBe('apply'));
  it('treats the same revision as a duplicate', () => expect(guardDecision(4, 4)).toBe('duplicate'));
  it('treats an older revision as a duplicate (replay)', () => expect(guardDecision(4, 1)).toBe('duplicate'));
  it('reports a gap when a revision is missing', () => expect(guardDecision(2, 4)).toBe('gap'));
  it('reports a gap when the document is missing for a later revision', () => expect(guardDecision(null, 3)).toBe('gap'));
});
