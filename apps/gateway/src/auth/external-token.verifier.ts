import { Inject, Injectable } from '@nestjs/common';
import { TokenExpiredError } from '@nestjs/jwt';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AppConfig } from '@tickets/config';
import { APP_CONFIG } from '@tickets/platform';
import type { TokenClaims } from './jwt-auth.guard';

/** Signature algorithms accepted from an identity provider (asymmetric only: the HS256 secret stays ours). */
export const EXTERNAL_ALGORITHMS = ['RS256', 'ES256'] as const;

/**
 * Verifies bearer tokens of an external identity provider (OpenID Connect style) against its JWKS
 * (`AUTH_JWKS_URL`, fetched and cached by `jose`, re-fetched when a token names an unknown key id), requiring
 * `AUTH_ISSUER` and `AUTH_AUDIENCE`, and maps its claims to ours with `AUTH_CLAIM_SUB`, `AUTH_CLAIM_ROLES`,
 * `AUTH_CLAIM_GROUPS` (dotted paths; a list, or one string of space- or comma-separated names).
 * Disabled (accepts nothing) without `AUTH_JWKS_URL`.
 */
@Injectable()
export class ExternalTokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.jwks = config.AUTH_JWKS_URL
      ? createRemoteJWKSet(new URL(config.AUTH_JWKS_URL), { timeoutDuration: 5000 })
      : undefined;
  }

  /** Whether `token` is for this verifier: one is configured and the token's header names RS256 or ES256. */
  accepts(token: string): boolean {
    if (!this.jwks) return false;
    try {
      return (EXTERNAL_ALGORITHMS as readonly string[]).includes(decodeProtectedHeader(token).alg ?? '');
    } catch {
      return false;
    }
  }

  /**
   * The token's claims mapped to `sub`, `roles`, `groups`, `exp` (required) and `iat`.
   * @throws TokenExpiredError when `exp` has passed; jose's errors for a bad signature (a key not in the
   *   JWKS), issuer, audience or algorithm, or an unreachable JWKS
   */
  async verify(token: string): Promise<TokenClaims> {
    if (!this.jwks) throw new Error('no identity provider is configured (AUTH_JWKS_URL)');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.AUTH_ISSUER,
        audience: this.config.AUTH_AUDIENCE,
        algorithms: [...EXTERNAL_ALGORITHMS],
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new TokenExpiredError('jwt expired', new Date(Number(error.payload.exp ?? 0) * 1000));
      throw error;
    }
    return {
      sub: claimAt(payload, this.config.AUTH_CLAIM_SUB) as string,
      roles: names(claimAt(payload, this.config.AUTH_CLAIM_ROLES)),
      groups: names(claimAt(payload, this.config.AUTH_CLAIM_GROUPS)),
      exp: payload.exp as number,
      iat: payload.iat,
    };
  }
}

/** The value at a dotted path (`realm_access.roles`) of the claims, or `undefined`. */
function claimAt(claims: JWTPayload, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      claims,
    );
}

/** A list of names from a claim: a list of strings, or one string of space- or comma-separated names. */
function names(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
}
