import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import type { Request } from 'express';
import type { EnvelopeActor } from '@tickets/contracts';
import { DmartException } from '../errors/dmart-exception';
import { SHORTNAME } from '../managed/managed-request.dto';

/** Claims the gateway reads from a bearer token (ARCHITECTURE.md "Services"). */
export interface TokenClaims {
  /** User shortname. */
  readonly sub: string;
  readonly roles?: readonly string[];
  readonly groups?: readonly string[];
}

type AuthenticatedRequest = Request & { actor?: EnvelopeActor };

/**
 * Authenticates `Authorization: Bearer <JWT>` (HS256, secret `JWT_SECRET`) and attaches the actor
 * `{shortname: sub, roles, groups}`; effective roles (`logged_in`, group roles) are added by ticket-service
 * (TICKETS.md section 3). Refusals use Dmart's auth codes: 49 not authenticated, 47 invalid, 48 expired.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new DmartException({ type: 'auth', code: 49, message: 'not authenticated: send Authorization: Bearer <token>' });
    }
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims & object>(token);
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new DmartException({ type: 'auth', code: 48, message: 'token expired' });
      throw new DmartException({ type: 'auth', code: 47, message: 'invalid token' });
    }
    if (typeof claims.sub !== 'string' || !SHORTNAME.test(claims.sub)) {
      throw new DmartException({ type: 'auth', code: 47, message: 'invalid token: sub must be a user shortname' });
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
