import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';

/**
 * Authentication of the live streams: the bearer token as everywhere (`JwtAuthGuard`, same checks and error
 * codes), or, because a browser's `EventSource` cannot send headers, as the `access_token` query parameter
 * (used only when there is no Authorization header). The parameter is removed from the request URL before
 * the handler runs; the access log masks it (libs/platform logging).
 */
@Injectable()
export class LiveAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtAuthGuard) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const url = new URL(request.url, 'http://gateway');
    const token = url.searchParams.get('access_token');
    if (token !== null) {
      url.searchParams.delete('access_token');
      request.url = url.pathname + url.search;
      if (!request.headers.authorization) request.headers.authorization = `Bearer ${token}`;
    }
    return this.jwt.canActivate(context);
  }
}
