import { NotFoundError, ValidationError } from '../shared/errors';
import type { Decider } from '../shared/decider';
import { DeciderSpecification } from './decider.specification';

type Cmd = { type: 'Add'; n: number };
type Evt = { type: 'Added'; n: number };
const counter: Decider<number, Cmd, Evt> = {
  decide: ({ n }, total) => {
    if (n < 0) throw new ValidationError('negative');
    if (total + n > 10) throw new NotFoundError('too much');
    return n === 0 ? [] : [{ type: 'Added', n }];
  },
  evolve: (total, { n }) => total + n,
  initialState: () => 0,
};
const spec = DeciderSpecification.for(counter);

describe('DeciderSpecification', () => {
  it('then passes on the expected events and fails on others', () => {
    spec.given([{ type: 'Added', n: 2 }]).when({ type: 'Add', n: 3 }).then([{ type: 'Added', n: 3 }]);
    expect(() => spec.given([]).when({ type: 'Add', n: 3 }).then([{ type: 'Added', n: 4 }])).toThrow();
  });

  it('folds the given events before deciding', () => {
    spec.given([{ type: 'Added', n: 9 }]).when({ type: 'Add', n: 2 }).thenThrows(NotFoundError);
  });

  it('thenNothingHappened passes on [] only', () => {
    spec.given([]).when({ type: 'Add', n: 0 }).thenNothingHappened();
    expect(() => spec.given([]).when({ type: 'Add', n: 1 }).thenNothingHappened()).toThrow();
  });

  it('thenThrows checks the class and the predicate, and fails when nothing is thrown', () => {
    spec.given([]).when({ type: 'Add', n: -1 }).thenThrows(ValidationError, (e) => e.code === 422);
    expect(() => spec.given([]).when({ type: 'Add', n: -1 }).thenThrows(NotFoundError)).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', n: -1 }).thenThrows(ValidationError, (e) => e.message === 'positive')).toThrow();
    expect(() => spec.given([]).when({ type: 'Add', n: 1 }).thenThrows(ValidationError)).toThrow('expected ValidationError');
  });
});
