import { createParamDecorator, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import type { Request } from 'express';
import type { EnvelopeActor } from '@tickets/contracts';
import { DmartException } from '../errors/dmart-exception';
import { SHORTNAME } from '../managed/managed-request.dto';
import { UserDirectory } from '../users/user-directory';
import { ExternalTokenVerifier } from './external-token.verifier';

/** Claims the gateway reads from a bearer token (ARCHITECTURE.md "Services"). */
export interface TokenClaims {
  /** User shortname. */
  readonly sub: string;
  readonly roles?: readonly string[];
  readonly groups?: readonly string[];
  /** Issued at, seconds since the epoch: a token older than its user's last access change is refused. */
  readonly iat?: number;
}

type AuthenticatedRequest = Request & { actor?: EnvelopeActor };

/**
 * Authenticates `Authorization: Bearer <JWT>` (HS256, secret `JWT_SECRET`; or RS256/ES256 of an identity
 * provider, `ExternalTokenVerifier`), refuses tokens of deactivated or deleted users (`UserDirectory`), and attaches the actor
 * `{shortname: sub, roles, groups}`; effective roles (`logged_in`, group roles) are added by ticket-service
 * (TICKETS.md section 3). Refusals use Dmart's auth codes: 49 not authenticated, 47 invalid, 48 expired.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtService,
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
    let claims: TokenClaims;
    try {
      claims = this.external?.accepts(token)
        ? await this.external.verify(token)
        : await this.jwt.verifyAsync<TokenClaims & object>(token);
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new DmartException({ type: 'auth', code: 48, message: 'token expired' });
      throw new DmartException({ type: 'auth', code: 47, message: 'invalid token' });
    }
    if (typeof claims.sub !== 'string' || !SHORTNAME.test(claims.sub)) {
      throw new DmartException({ type: 'auth', code: 47, message: 'invalid token: sub must be a user shortname' });
    }
    if (this.users && !(await this.users.tokenStillValid(claims.sub, claims.iat))) {
      const message = 'invalid token: the user was deactivated, deleted or changed since it was issued';
      throw new DmartException({ type: 'auth', code: 47, message });
    }
    request.actor = {
      shortname: claims.sub,
      roles: stringList(claims.roles),
      groups: stringList(claims.groups),
    };
    return true;
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
}

/** The authenticated actor of the request (set by `JwtAuthGuard`). */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): EnvelopeActor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new DmartException({ type: 'auth', code: 49, message: 'not authenticated' });
  return actor;
});
