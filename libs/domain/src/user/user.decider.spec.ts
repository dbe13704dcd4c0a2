import { foldEvents } from '../shared/decider';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../shared/errors';
import { DeciderSpecification } from '../testing/decider.specification';
import { later, meta, NOW, sam } from '../testing/fixtures';
import {
  tokenStillValid,
  userDecider,
  type DefineUser,
  type DeleteUser,
  type UserChanges,
  type UserCreated,
  type UserDeleted,
  type UserEvent,
  type UserUpdated,
} from './user.decider';

const spec = DeciderSpecification.for(userDecider);
const HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$uPRTGHYEtk/Hp/WnUOSoSQ$Gq8UlRZ66bfCQB18aKyvwSUI8z7k/JKBIQkT+KVBaJE';
const OTHER_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$Gq8UlRZ66bfCQB18aKyvwSUI8z7k/JKBIQkT+KVBaJE';

const define = (changes: UserChanges, mode: 'create' | 'update' = 'create', now = NOW): DefineUser => ({
  type: 'DefineUser',
  data: { shortname: 'dana', mode, changes },
  metadata: meta(sam, now),
});
const remove = (now = NOW): DeleteUser => ({
  type: 'DeleteUser',
  data: { shortname: 'dana' },
  metadata: meta(sam, now),
});
const created = (at = NOW): UserCreated => ({
  type: 'UserCreated',
  data: {
    shortname: 'dana',
    profile: { roles: ['agent'], groups: [], is_active: true, password_hash: HASH },
    at,
  },
});
const updated = (changes: UserChanges, at = later(60)): UserUpdated => ({
  type: 'UserUpdated',
  data: { shortname: 'dana', changes, at },
});
const deleted = (at = later(60)): UserDeleted => ({ type: 'UserDeleted', data: { shortname: 'dana', at } });
const stateOf = (events: readonly UserEvent[]) => foldEvents(userDecider, events);
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('user decider (Dmart users in management/users)', () => {
  describe('when the user does not exist', () => {
    it('creates it, active, with its roles and the password hash', () => {
      spec
        .given([])
        .when(define({ roles: ['agent', 'agent'], password_hash: HASH }))
        .then([created()]);
    });
    it('refuses a create without a password with code 422', () => {
      spec
        .given([])
        .when(define({ roles: ['agent'] }))
        .thenThrows(ValidationError, (e) => e.code === 422);
    });
    it('refuses a clear-text password in place of a hash with code 422', () => {
      spec
        .given([])
        .when(define({ password_hash: 'hunter22' }))
        .thenThrows(ValidationError);
    });
    it('refuses roles that are not non-empty strings with code 422', () => {
      spec
        .given([])
        .when(define({ roles: ['agent', ''], password_hash: HASH }))
        .thenThrows(ValidationError);
    });
    it('refuses an is_active that is not a boolean with code 422', () => {
      spec
        .given([])
        .when(define({ is_active: 'yes' as never, password_hash: HASH }))
        .thenThrows(ValidationError);
    });
    it('refuses an update with code 220', () => {
      spec
        .given([])
        .when(define({ is_active: false }, 'update'))
        .thenThrows(NotFoundError, (e) => e.code === 220);
    });
    it('refuses a delete with code 220', () => {
      spec.given([]).when(remove()).thenThrows(NotFoundError);
    });
  });

  describe('when the user exists', () => {
    it('refuses a create with code 400', () => {
      spec
        .given([created()])
        .when(define({ password_hash: HASH }))
        .thenThrows(AlreadyExistsError, (e) => e.code === 400);
    });
    it('an update records only the fields that change', () => {
      spec
        .given([created()])
        .when(define({ roles: ['agent'], email: 'dana@example.com' }, 'update', later(60)))
        .then([updated({ email: 'dana@example.com' })]);
    });
    it('an update that changes nothing appends nothing', () => {
      spec
        .given([created()])
        .when(define({ roles: ['agent'], is_active: true }, 'update'))
        .thenNothingHappened();
    });
    it('deactivates it with is_active false', () => {
      spec
        .given([created()])
        .when(define({ is_active: false }, 'update', later(60)))
        .then([updated({ is_active: false })]);
    });
    it('deletes it', () => {
      spec
        .given([created()])
        .when(remove(later(60)))
        .then([deleted()]);
    });
  });

  describe('when the user was deleted', () => {
    it('refuses an update with code 220', () => {
      spec
        .given([created(), deleted()])
        .when(define({ is_active: true }, 'update'))
        .thenThrows(NotFoundError);
    });
    it('may be created again', () => {
      spec
        .given([created(), deleted()])
        .when(define({ roles: ['agent'], password_hash: HASH }, 'create', later(120)))
        .then([created(later(120))]);
    });
  });

  describe('whether a token of the user still stands', () => {
    it('a token issued after the creation stands', () => {
      expect(tokenStillValid(stateOf([created()]), seconds(NOW))).toBe(true);
    });
    it('a token of someone never registered here is not judged (npm run token, identity providers)', () => {
      expect(tokenStillValid(stateOf([]), seconds(NOW))).toBe(true);
    });
    it('a token of a deactivated user is refused', () => {
      expect(tokenStillValid(stateOf([created(), updated({ is_active: false })]), seconds(later(120)))).toBe(
        false,
      );
    });
    it('a token of a deleted user is refused', () => {
      expect(tokenStillValid(stateOf([created(), deleted()]), seconds(later(120)))).toBe(false);
    });
    it('a token issued before a change of roles or password is refused; one issued after stands', () => {
      const state = stateOf([created(), updated({ password_hash: OTHER_HASH })]);
      expect(tokenStillValid(state, seconds(later(30)))).toBe(false);
      expect(tokenStillValid(state, seconds(later(60)))).toBe(true);
    });
    it('a change of e-mail leaves tokens standing', () => {
      expect(
        tokenStillValid(stateOf([created(), updated({ email: 'd@example.com' })]), seconds(later(30))),
      ).toBe(true);
    });
    it('a token of a deleted and re-created user, issued in its former life, is refused', () => {
      expect(tokenStillValid(stateOf([created(), deleted(), created(later(120))]), seconds(later(90)))).toBe(
        false,
      );
    });
    it('a token without iat of a registered user is refused', () => {
      expect(tokenStillValid(stateOf([created()]), undefined)).toBe(false);
    });
  });
});
