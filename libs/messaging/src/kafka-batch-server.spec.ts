import { settledPrefix } from './kafka-batch-server';

const ok = { status: 'fulfilled', value: undefined } as const;
const failed = (reason: string) => ({ status: 'rejected', reason }) as const;

describe('settledPrefix (which offsets of a batch may be committed)', () => {
  it('commits the whole batch when every message is done', () => {
    expect(settledPrefix([ok, ok, ok])).toEqual({ done: 3 });
  });

  it('stops before the first rejected message, even when later ones are done, and reports its reason', () => {
    expect(settledPrefix([ok, failed('store down'), ok, failed('later')])).toEqual({
      done: 1,
      failure: failed('store down'),
    });
  });

  it('commits nothing when the first message failed', () => {
    expect(settledPrefix([failed('broker'), ok])).toEqual({ done: 0, failure: failed('broker') });
  });
});
