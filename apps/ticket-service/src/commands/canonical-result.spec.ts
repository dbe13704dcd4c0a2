import type { CommandResult } from '@tickets/contracts';
import { canonicalResult } from './canonical-result';

describe('canonicalResult', () => {
  const first: CommandResult = {
    command_id: '6f1c2a8e-0000-4000-8000-000000000001',
    status: 'succeeded',
    ticket: {
      shortname: 't1',
      payload: { body: { zeta: 1, alpha: { y: 2, b: [{ k: 1, a: 0 }] } }, content_type: 'json' },
      state: 'draft',
    },
    position: '7',
  };

  describe('when the same result comes from memory and back from the store with its keys reordered', () => {
    it('serialises both to the same bytes', () => {
      // What PostgreSQL's jsonb gives back: shorter keys first, then byte order.
      const fromStore = JSON.parse(
        '{"status":"succeeded","position":"7","command_id":"6f1c2a8e-0000-4000-8000-000000000001",' +
          '"ticket":{"state":"draft","payload":{"body":{"zeta":1,"alpha":{"b":[{"a":0,"k":1}],"y":2}},"content_type":"json"},"shortname":"t1"}}',
      ) as CommandResult;
      expect(JSON.stringify(fromStore)).not.toBe(JSON.stringify(first));
      expect(JSON.stringify(canonicalResult(fromStore))).toBe(JSON.stringify(canonicalResult(first)));
    });
  });

  it('keeps array order and values, and drops undefined members', () => {
    const result = canonicalResult({ ...first, error: undefined, ticket: { tags: ['b', 'a'] } });
    expect(result).toEqual({
      command_id: first.command_id,
      status: 'succeeded',
      position: '7',
      ticket: { tags: ['b', 'a'] },
    });
    expect(Object.keys(result)).toEqual(['command_id', 'position', 'status', 'ticket']);
  });
});
