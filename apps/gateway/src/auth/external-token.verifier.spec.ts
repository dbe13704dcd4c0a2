import type { ExecutionContext } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { loadConfig, type AppConfig } from '@tickets/config';
import type { EnvelopeActor } from '@tickets/contracts';
import { DmartException } from '../errors/dmart-exception';
import { ExternalTokenVerifier } from './external-token.verifier';
import { JwtAuthGuard } from './jwt-auth.guard';

const ISSUER = 'https://idp.example.test/realms/support';
const AUDIENCE = 'tickets-gateway';

/** A JWKS served over HTTP on a loopback port, as an identity provider publishes it. */
async function serveJwks(keys: JWK[]): Promise<{ server: Server; url: string }> {
  const server = createServer((_, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` };
}

describe('tokens of an external identity provider (JWKS)', () => {
  let server: Server;
  let config: AppConfig;
  let rsa: KeyLike;
  let ec: KeyLike;
  let guard: JwtAuthGuard;

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256');
    const ecPair = await generateKeyPair('ES256');
    rsa = rsaPair.privateKey;
    ec = ecPair.privateKey;
    const jwks = await serveJwks([
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ]);
    server = jwks.server;
    config = loadConfig({
      AUTH_JWKS_URL: jwks.url,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_CLAIM_SUB: 'preferred_username',
      AUTH_CLAIM_ROLES: 'realm_access.roles',
      AUTH_CLAIM_GROUPS: 'teams',
    });
    guard = new JwtAuthGuard(new JwtService({ secret: config.jwtSecret }), config, new ExternalTokenVerifier(config));
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const sign = (
    key: KeyLike,
    options: { alg?: string; kid?: string; iss?: string; aud?: string; exp?: string | number } = {},
  ) =>
    new SignJWT({
      preferred_username: 'dana',
      realm_access: { roles: ['agent', 'reporter'] },
      teams: 'front_desk, night',
    })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setSubject('f3b2c1d0-uuid-of-the-idp')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(key);

  /** Runs the guard on a request with `authorization`; answers the actor, or the Dmart error code. */
  async function authenticate(token: string): Promise<EnvelopeActor | number> {
    const request: { headers: Record<string, string>; actor?: EnvelopeActor } = {
      headers: { authorization: `Bearer ${token}` },
    };
    const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
    try {
      await guard.canActivate(context);
      return request.actor as EnvelopeActor;
    } catch (error) {
      if (error instanceof DmartException) return error.dmartError.code;
      throw error;
    }
  }

  it('accepts an RS256 token signed by a key of the JWKS, mapping the configured claims', async () => {
    expect(await authenticate(await sign(rsa))).toEqual({
      shortname: 'dana',
      roles: ['agent', 'reporter'],
      groups: ['front_desk', 'night'],
    });
  });

  it('accepts an ES256 token', async () => {
    expect(await authenticate(await sign(ec, { alg: 'ES256', kid: 'ec-1' }))).toMatchObject({
      shortname: 'dana',
    });
  });

  it('refuses a forged token: signed by a key not in the JWKS (47)', async () => {
    const { privateKey: forger } = await generateKeyPair('RS256');
    expect(await authenticate(await sign(forger))).toBe(47);
  });

  it('refuses a forged token that names a JWKS key id but was signed by another key (47)', async () => {
    const { privateKey: forger } = await generateKeyPair('ES256');
    expect(await authenticate(await sign(forger, { alg: 'ES256', kid: 'ec-1' }))).toBe(47);
  });

  it('refuses another issuer or another audience (47)', async () => {
    expect(await authenticate(await sign(rsa, { iss: 'https://evil.example.test' }))).toBe(47);
    expect(await authenticate(await sign(rsa, { aud: 'another-app' }))).toBe(47);
  });

  it('refuses an expired token with code 48', async () => {
    expect(await authenticate(await sign(rsa, { exp: Math.floor(Date.now() / 1000) - 60 }))).toBe(48);
  });

  it('still accepts the gateway’s own HS256 tokens beside it', async () => {
    const own = new JwtService({ secret: config.jwtSecret }).sign(
      { sub: 'alice', roles: ['agent'] },
      { algorithm: 'HS256', expiresIn: 60 },
    );
    expect(await authenticate(own)).toMatchObject({ shortname: 'alice', roles: ['agent'] });
  });

  it('refuses an HS256 token signed with a wrong secret (47)', async () => {
    const forged = new JwtService({ secret: 'not-the-gateway-secret-at-all' }).sign(
      { sub: 'alice' },
      { algorithm: 'HS256', expiresIn: 60 },
    );
    expect(await authenticate(forged)).toBe(47);
  });

  it('without AUTH_JWKS_URL, accepts no RS256 token (47)', async () => {
    const withoutIdp = new JwtAuthGuard(
      new JwtService({ secret: config.jwtSecret }),
      config,
      new ExternalTokenVerifier(loadConfig({})),
    );
    const request = { headers: { authorization: `Bearer ${await sign(rsa)}` } };
    const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
    await expect(withoutIdp.canActivate(context)).rejects.toMatchObject({ dmartError: { code: 47 } });
  });
});
