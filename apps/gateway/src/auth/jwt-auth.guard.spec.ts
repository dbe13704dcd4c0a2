import type { ExecutionContext } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import { DmartException } from '../errors/dmart-exception';
import { JwtAuthGuard } from './jwt-auth.guard';

const SECRET = 'test-secret-of-16-chars';
const jwt = new JwtService({
  secret: SECRET,
  signOptions: { algorithm: 'HS256' },
  verifyOptions: { algorithms: ['HS256'] },
});
const guard = new JwtAuthGuard(jwt, { JWT_MAX_LIFETIME_S: 86_400 });
const nowS = () => Math.floor(Date.now() / 1000);

/** An HS256 token with exactly these claims (jsonwebtoken's `sign` refuses ill-typed `exp`/`iat`). */
function rawToken(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

/** Runs the guard on a request bearing `token`: the actor, or the refusal. */
async function authenticate(token: string): Promise<{ actor?: unknown; error?: DmartException }> {
  const request: Record<string, any> = { headers: { authorization: `Bearer ${token}` } };
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  try {
    await guard.canActivate(context);
    return { actor: request['actor'] };
  } catch (error) {
    if (!(error instanceof DmartException)) throw error;
    return { error };
  }
}

describe('bearer tokens (JwtAuthGuard)', () => {
  it('accepts a token with exp within the longest lifetime, roles and groups as arrays of shortnames', async () => {
    const token = jwt.sign({ sub: 'alice', roles: ['agent'], groups: ['l2'] }, { expiresIn: 3600 });
    expect(await authenticate(token)).toEqual({
      actor: { shortname: 'alice', roles: ['agent'], groups: ['l2'] },
    });
  });

  it('reads absent roles and groups as none', async () => {
    expect(await authenticate(jwt.sign({ sub: 'alice' }, { expiresIn: 60 }))).toEqual({
      actor: { shortname: 'alice', roles: [], groups: [] },
    });
  });

  describe("refuses with 401 in Dmart's envelope (code 47)", () => {
    it.each([
      ['without exp', { sub: 'alice', roles: ['agent'] }, /exp \(expiry\) is required/],
      ['with a string exp', { sub: 'alice', exp: String(nowS() + 60) }, /^invalid token/],
      [
        'living longer than JWT_MAX_LIFETIME_S (by iat)',
        { sub: 'alice', iat: nowS(), exp: nowS() + 86_401 },
        /lifetime exceeds 86400 seconds/,
      ],
      [
        'living longer than JWT_MAX_LIFETIME_S (no iat)',
        { sub: 'alice', exp: nowS() + 10 * 86_400 },
        /lifetime exceeds/,
      ],
      [
        'issued far back to look short-lived',
        { sub: 'alice', iat: nowS() - 10, exp: nowS() + 2 * 86_400 },
        /lifetime exceeds/,
      ],
      ['with a non-numeric iat', { sub: 'alice', iat: 'yesterday', exp: nowS() + 60 }, /iat/],
      ['issued in the future', { sub: 'alice', iat: nowS() + 6 * 3600, exp: nowS() + 7 * 3600 }, /iat is in the future/],
      [
        'with roles as a string',
        { sub: 'alice', roles: 'super_admin', exp: nowS() + 60 },
        /roles must be an array/,
      ],
      ['with roles null', { sub: 'alice', roles: null, exp: nowS() + 60 }, /roles must be an array/],
      ['with a role that is not a string', { sub: 'alice', roles: [{ $gt: '' }], exp: nowS() + 60 }, /roles/],
      [
        'with groups as an object',
        { sub: 'alice', groups: { $ne: null }, exp: nowS() + 60 },
        /groups must be an array/,
      ],
      [
        'with too many roles',
        { sub: 'alice', roles: Array.from({ length: 201 }, (_, i) => `r${i}`), exp: nowS() + 60 },
        /at most 200/,
      ],
      [
        'with a sub that is not a shortname',
        { sub: 'a b', exp: nowS() + 60 },
        /sub must be a user shortname/,
      ],
      ['with a numeric sub', { sub: 7, exp: nowS() + 60 }, /sub/],
    ])('a token %s', async (_, claims, message) => {
      const { error } = await authenticate(rawToken(claims));
      expect(error?.getStatus()).toBe(401);
      expect(error?.getResponse()).toEqual({
        status: 'failed',
        error: { type: 'auth', code: 47, message: expect.stringMatching(message) },
      });
    });

    it("an expired token with code 48, another key's token with 47, no token with 49", async () => {
      expect((await authenticate(jwt.sign({ sub: 'alice', exp: nowS() - 10 }))).error?.dmartError.code).toBe(
        48,
      );
      expect(
        (
          await authenticate(
            new JwtService({ secret: 'another-secret-of-16' }).sign({ sub: 'alice' }, { expiresIn: 60 }),
          )
        ).error?.dmartError.code,
      ).toBe(47);
      expect((await authenticate('')).error?.dmartError.code).toBe(49);
    });
  });
});
