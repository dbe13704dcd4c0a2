import { counterDeltas, type CountedFacts } from './ticket-counters';

const facts: CountedFacts = {
  space_name: 'acme',
  state: 'new',
  is_open: true,
  owner_shortname: 'alice',
  owner_group_shortname: null,
  workflow_shortname: 'support',
};

const byId = (deltas: ReturnType<typeof counterDeltas>) =>
  Object.fromEntries(deltas.map((d) => [d._id, { open: d.open, closed: d.closed }]));

describe('ticket counters', () => {
  describe('when a ticket is created', () => {
    it('counts it once per dimension, open, without a team counter when it has no team', () => {
      expect(byId(counterDeltas(null, facts))).toEqual({
        'acme/all/*': { open: 1, closed: 0 },
        'acme/state/new': { open: 1, closed: 0 },
        'acme/owner/alice': { open: 1, closed: 0 },
        'acme/workflow/support': { open: 1, closed: 0 },
      });
    });
  });

  describe('when a ticket is closed', () => {
    it('moves it from open to closed and from the old state to the new one', () => {
      expect(byId(counterDeltas(facts, { ...facts, state: 'done', is_open: false }))).toEqual({
        'acme/all/*': { open: -1, closed: 1 },
        'acme/state/new': { open: -1, closed: 0 },
        'acme/state/done': { open: 0, closed: 1 },
        'acme/owner/alice': { open: -1, closed: 1 },
        'acme/workflow/support': { open: -1, closed: 1 },
      });
    });
  });

  describe('when a ticket is reassigned', () => {
    it('changes only the owner and team counters', () => {
      expect(byId(counterDeltas(facts, { ...facts, owner_shortname: 'bob', owner_group_shortname: 'l2' }))).toEqual({
        'acme/owner/alice': { open: -1, closed: 0 },
        'acme/owner/bob': { open: 1, closed: 0 },
        'acme/group/l2': { open: 1, closed: 0 },
      });
    });
  });

  it('changes nothing when the facts do not change', () => expect(counterDeltas(facts, { ...facts })).toEqual([]));
  it('uncounts a deleted ticket', () => expect(counterDeltas(facts, null).every((d) => d.open === -1)).toBe(true));
});
