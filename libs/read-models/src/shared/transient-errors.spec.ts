import { mongo } from 'mongoose';
import { isTransientError } from './transient-errors';

describe('isTransientError (retry in place, or park)', () => {
  describe('when the store is unreachable or cannot serve writes for now', () => {
    it.each([
      ['a network error', new mongo.MongoNetworkError('connection reset')],
      [
        'no server selectable',
        new mongo.MongoServerSelectionError('Server selection timed out', {} as never),
      ],
      [
        'a write conflict with another transaction',
        new mongo.MongoServerError({ message: 'WriteConflict', code: 112 }),
      ],
      ['a not-primary error', new mongo.MongoServerError({ message: 'not primary', code: 10107 })],
      [
        'a socket error',
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }),
      ],
      [
        'a PostgreSQL connection failure',
        Object.assign(new Error('terminating connection'), { code: '57P01' }),
      ],
      ['a dropped pg connection', new Error('Connection terminated unexpectedly')],
    ])('retries %s', (_what, error) => expect(isTransientError(error)).toBe(true));

    it('retries an error labelled TransientTransactionError', () => {
      const error = new mongo.MongoServerError({ message: 'some transaction fault', code: 251 });
      error.addErrorLabel(mongo.MongoErrorLabel.TransientTransactionError);
      expect(isTransientError(error)).toBe(true);
    });
  });

  describe('when the event cannot be applied as it is', () => {
    it.each([
      ['the BSON serializer overflowing its stack', new RangeError('Maximum call stack size exceeded')],
      ['a malformed stream id', new RangeError('not a ticket stream id: ticket-broken')],
      [
        'a document too large',
        new mongo.MongoServerError({ message: 'BSONObj size is invalid', code: 10334 }),
      ],
      ['a duplicate key', new mongo.MongoServerError({ message: 'E11000 duplicate key', code: 11000 })],
      ['a projection bug', new TypeError("Cannot read properties of undefined (reading 'state')")],
      ['a thrown string', 'boom'],
    ])('parks on %s', (_what, error) => expect(isTransientError(error)).toBe(false));
  });
});
