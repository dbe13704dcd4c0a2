import { createParamDecorator, Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import type { Request } from 'express';
import type { AppConfig } from '@tickets/config';
import type { EnvelopeActor } from '@tickets/contracts';
import { APP_CONFIG } from '@tickets/platform';
import { DmartException } from '../errors/dmart-exception';
import { SHORTNAME } from '../managed/managed-request.dto';
import { UserDirectory } from '../users/user-directory';
import { ExternalTokenVerifier } from './external-token.verifier';

/** Claims the gateway reads from a bearer token (ARCHITECTURE.md "Services"). */
export interface TokenClaims {
  /** User shortname. */
  readonly sub: string;
  /** Expiry, seconds since the epoch: required. */
  readonly exp: number;
  /**
   * Issue time, seconds since the epoch: optional; when present, `exp - iat` is the lifetime checked, and a
   * token issued before its user's last access change is refused.
   */
  readonly iat?: number;
  /** Role shortnames; absent = none. */
  readonly roles?: readonly string[];
  /** Group shortnames; absent = none. */
  readonly groups?: readonly string[];
}

/** Clock difference tolerated between the token's issuer and this gateway, in seconds (for `iat`). */
const CLOCK_SKEW_S = 60;

/** Most roles or groups a token may carry (as many as a command envelope's actor may hold). */
const MAX_CLAIM_ITEMS = 200;

type AuthenticatedRequest = Request & { actor?: EnvelopeActor };

/**
 * Authenticates `Authorization: Bearer <JWT>` (HS256, secret `JWT_SECRET`; or RS256/ES256 of an identity
 * provider, `ExternalTokenVerifier`), refuses tokens of deactivated or deleted users (`UserDirectory`), and attaches the actor
 * `{shortname: sub, roles, groups}`; effective roles (`logged_in`, group roles) are added by ticket-service
 * (TICKETS.md section 3). Refusals use Dmart's auth codes (401): 49 not authenticated, 48 expired, 47 invalid,
 * which includes a token without a numeric `exp`, one issued more than 60 s in the future, one living longer than `JWT_MAX_LIFETIME_S` (`exp - iat`,
 * and `exp - now`, so a token without `iat` cannot outlive it either), a `sub` that is not a shortname, and
 * `roles`/`groups` that are present but not arrays of at most 200 shortnames (`null` or a string is refused,
 * never read as "no roles").
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'JWT_MAX_LIFETIME_S'>,
    /** RS256/ES256 tokens of an identity provider (AUTH_JWKS_URL), beside our HS256 ones. */
    @Optional() private readonly external?: ExternalTokenVerifier,
    /** Users of management/users: a deactivated or deleted user's tokens are refused. */
    @Optional() private readonly users?: UserDirectory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new DmartException({ type: 'auth', code: 49, message: 'not authenticated: send Authorization: Bearer <token>' });
    }
    let claims: Record<string, unknown>;
    try {
      claims = this.external?.accepts(token)
        ? { ...(await this.external.verify(token)) }
        : await this.jwt.verifyAsync<Record<string, unknown>>(token);
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new DmartException({ type: 'auth', code: 48, message: 'token expired' });
      throw new DmartException({ type: 'auth', code: 47, message: 'invalid token' });
    }
    const actor = this.actorOf(claims);
    if (this.users && !(await this.users.tokenStillValid(actor.shortname, claims['iat'] as number | undefined))) {
      const message = 'invalid token: the user was deactivated, deleted or changed since it was issued';
      throw new DmartException({ type: 'auth', code: 47, message });
    }
    request.actor = actor;
    return true;
  }

  /** The actor of verified claims. @throws DmartException (401, code 47) naming the malformed claim */
  private actorOf(claims: Record<string, unknown>): EnvelopeActor {
    const invalid = (why: string) => new DmartException({ type: 'auth', code: 47, message: `invalid token: ${why}` });
    const { sub, exp, iat } = claims;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp (expiry) is required');
    if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw invalid('iat must be a number');
    // A token "issued" in the future would outlive its user's next access change (revocation compares iat).
    if (typeof iat === 'number' && iat > Date.now() / 1000 + CLOCK_SKEW_S) throw invalid('iat is in the future');
    const max = this.config.JWT_MAX_LIFETIME_S;
    const nowS = Date.now() / 1000;
    if (exp - (typeof iat === 'number' ? iat : nowS) > max || exp - nowS > max) {
      throw invalid(`its lifetime exceeds ${max} seconds`);
    }
    if (typeof sub !== 'string' || !SHORTNAME.test(sub)) throw invalid('sub must be a user shortname');
    return { shortname: sub, roles: shortnames(claims['roles'], 'roles', invalid), groups: shortnames(claims['groups'], 'groups', invalid) };
  }
}

/** A list claim: absent = `[]`; otherwise an array of at most 200 shortnames. */
function shortnames(value: unknown, name: string, invalid: (why: string) => DmartException): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_CLAIM_ITEMS || !value.every((v) => typeof v === 'string' && SHORTNAME.test(v))) {
    throw invalid(`${name} must be an array of at most ${MAX_CLAIM_ITEMS} shortnames`);
  }
  return value as string[];
}

/** The authenticated actor of the request (set by `JwtAuthGuard`). */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): EnvelopeActor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new DmartException({ type: 'auth', code: 49, message: 'not authenticated' });
  return actor;
});
