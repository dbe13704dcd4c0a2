import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { call, dmartRequest, tokenFor } from '@tickets/testing';

/** The one answer to any failed login (Dmart's code 10): unknown user, wrong password and deactivated user alike. */
const INVALID_CREDENTIALS = {
  status: 'failed',
  error: { type: 'auth', code: 10, message: 'Invalid username or password' },
};

/** The gateway's documented USER_STATUS_CACHE_TTL_MS default, plus a margin: how long a revoked token may stand. */
const STATUS_CACHE_BOUND_MS = 5000 + 3000;

describe("Dmart's users and login", () => {
  const admin = tokenFor('e2e_admin', ['super_admin']);
  const password = 'Correct-Horse-9';
  const unique = () => `u_${randomBytes(5).toString('hex')}`;

  const users = (
    token: string,
    request_type: string,
    shortname: string,
    attributes?: Record<string, unknown>,
  ) =>
    call<any>('POST', '/managed/request', {
      token,
      body: dmartRequest('management', request_type, {
        resource_type: 'user',
        shortname,
        subpath: 'users',
        attributes,
      }),
    });
  const login = (shortname: string, secret: unknown, headers: Record<string, string> = {}) =>
    call<any>('POST', '/user/login', { body: { shortname, password: secret }, headers });
  const profile = (token: string) => call<any>('GET', '/user/profile', { token });
  const claimsOf = (token: string) =>
    JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

  /** Polls (bounded by the cache time) until the token is refused; returns the last answer. */
  async function untilRefused(token: string) {
    const deadline = Date.now() + STATUS_CACHE_BOUND_MS;
    for (;;) {
      const answer = await profile(token);
      if (answer.status !== 200 || Date.now() > deadline) return answer;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function createUser(attributes: Record<string, unknown> = {}): Promise<string> {
    const shortname = unique();
    const created = await users(admin, 'create', shortname, {
      password,
      roles: ['agent'],
      groups: ['front_desk'],
      ...attributes,
    });
    expect(created.status).toBe(200);
    return shortname;
  }

  describe('when an admin creates a user', () => {
    it('answers the user without any password or hash', async () => {
      const shortname = unique();
      const created = await users(admin, 'create', shortname, {
        password,
        roles: ['agent'],
        email: 'u@example.com',
      });
      expect(created.status).toBe(200);
      expect(created.body.records[0]).toMatchObject({
        resource_type: 'user',
        shortname,
        subpath: 'users',
        attributes: expect.objectContaining({ roles: ['agent'], is_active: true, email: 'u@example.com' }),
      });
      expect(JSON.stringify(created.body)).not.toMatch(/password|argon2/);
    });

    it('refuses a user created by someone without an admin role (401)', async () => {
      const refused = await users(tokenFor('alice', ['agent']), 'create', unique(), {
        password,
        roles: ['super_admin'],
      });
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe(401);
    });

    it('refuses a password shorter than 8 or longer than 128 characters (422)', async () => {
      for (const bad of ['short', 'x'.repeat(129), 12345678]) {
        const refused = await users(admin, 'create', unique(), { password: bad });
        expect(refused.status).toBe(422);
        expect(refused.body.error.message).toContain('password must be a string of 8 to 128 characters');
      }
    });

    it('refuses users outside the management space (422)', async () => {
      const refused = await call<any>('POST', '/managed/request', {
        token: admin,
        body: dmartRequest('support', 'create', {
          resource_type: 'user',
          shortname: unique(),
          subpath: 'users',
          attributes: { password },
        }),
      });
      expect(refused.status).toBe(422);
    });
  });

  describe('when the user logs in', () => {
    it("answers Dmart's login record with a token the gateway accepts (sub, roles, groups, exp)", async () => {
      const shortname = await createUser();
      // pydmart sends an empty Authorization header before it has a token.
      const answer = await login(shortname, password, { authorization: '' });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        status: 'success',
        records: [
          {
            resource_type: 'user',
            shortname,
            subpath: 'users',
            attributes: { access_token: expect.any(String), type: 'web' },
          },
        ],
      });
      const token = answer.body.records[0].attributes.access_token;
      expect(claimsOf(token)).toMatchObject({
        sub: shortname,
        roles: ['agent'],
        groups: ['front_desk'],
        exp: expect.any(Number),
      });
      const me = await profile(token);
      expect(me.status).toBe(200);
      expect(me.body.records[0]).toMatchObject({
        resource_type: 'user',
        shortname,
        attributes: expect.objectContaining({ roles: ['agent'] }),
      });
      expect(JSON.stringify(me.body)).not.toMatch(/password|argon2/);
      const out = await call<any>('POST', '/user/logout', { token });
      expect(out.body).toEqual({ status: 'success' });
    });

    it('refuses a wrong password and an unknown user with the same 401 (code 10)', async () => {
      const shortname = await createUser();
      const wrong = await login(shortname, 'Wrong-Horse-9');
      const unknown = await login(unique(), password);
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect(wrong.body).toEqual(INVALID_CREDENTIALS);
      expect(unknown.body).toEqual(INVALID_CREDENTIALS);
    });

    it('refuses a malformed body or a huge password with 422, without checking anything', async () => {
      for (const body of [
        { shortname: 'x' },
        { password },
        { shortname: 'a b', password },
        { shortname: 'x', password: 42 },
      ]) {
        const refused = await call<any>('POST', '/user/login', {
          body,
          headers: { 'content-type': 'application/json' },
        });
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({ status: 'failed', error: { code: 422 } });
      }
      const huge = await login('someone', 'p'.repeat(10_000));
      expect(huge.status).toBe(422);
      expect(huge.body.error.message).toContain('password must be shorter than or equal to 128 characters');
    });

    it('treats an empty Authorization header as no token (49) on endpoints that need one', async () => {
      const answer = await call<any>('GET', '/user/profile', { headers: { authorization: '' } });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe(49);
    });

    it('refuses an RS256 token this gateway has no identity provider for (47)', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ roles: ['super_admin'] })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('mallory')
        .setExpirationTime('5m')
        .sign(privateKey);
      const answer = await profile(forged);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe(47);
    });

    it('bounds failed attempts per user: past 5, even the right password is answered 429 (code 110)', async () => {
      const shortname = await createUser();
      for (let i = 0; i < 5; i++) expect((await login(shortname, `Wrong-Horse-${i}`)).status).toBe(401);
      const throttled = await login(shortname, password);
      expect(throttled.status).toBe(429);
      expect(throttled.body.error).toMatchObject({ type: 'auth', code: 110 });
    });
  });

  describe('when the user is deactivated, changed or deleted', () => {
    it('a deactivated user cannot log in (401, code 10) and its tokens stop working (47)', async () => {
      const shortname = await createUser();
      const token = (await login(shortname, password)).body.records[0].attributes.access_token;
      expect((await users(admin, 'update', shortname, { is_active: false })).status).toBe(200);
      expect((await login(shortname, password)).body).toEqual(INVALID_CREDENTIALS);
      const refused = await untilRefused(token);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe(47);
    });

    it('a deleted user cannot log in and its tokens stop working', async () => {
      const shortname = await createUser();
      const token = (await login(shortname, password)).body.records[0].attributes.access_token;
      expect((await users(admin, 'delete', shortname)).status).toBe(200);
      expect((await login(shortname, password)).body).toEqual(INVALID_CREDENTIALS);
      expect((await untilRefused(token)).body.error.code).toBe(47);
    });

    it('a new password replaces the old one at once', async () => {
      const shortname = await createUser();
      expect((await users(admin, 'update', shortname, { password: 'Another-Horse-7' })).status).toBe(200);
      expect((await login(shortname, password)).status).toBe(401);
      expect((await login(shortname, 'Another-Horse-7')).status).toBe(200);
    });
  });
});
