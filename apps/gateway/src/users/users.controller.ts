import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AppConfig } from '@tickets/config';
import type { EnvelopeActor } from '@tickets/contracts';
import { USERS_SUBPATH, type UserStreamState } from '@tickets/domain';
import { APP_CONFIG } from '@tickets/platform';
import { CurrentActor, JwtAuthGuard } from '../auth/jwt-auth.guard';
import { DmartException } from '../errors/dmart-exception';
import { LoginDto } from './login.dto';
import { LoginThrottle } from './login-throttle';
import { verifyPassword } from './passwords';
import { UserDirectory } from './user-directory';

/** Dmart's answer to a failed login, the same for an unknown user, a wrong password and a deactivated user. */
const INVALID_CREDENTIALS = { type: 'auth', code: 10, message: 'Invalid username or password' } as const;

/**
 * Dmart's user endpoints (docs/dmart-compatibility.md "Login"): `POST /user/login` with a password answers
 * an HS256 access token (the one the gateway verifies: `sub`, `roles`, `groups`, `exp`), `GET /user/profile`,
 * `POST /user/logout`. Users are created, changed and deactivated by admins through `POST /managed/request`
 * (resource_type `user`, space `management`).
 */
@ApiTags('user')
@Controller('user')
export class UsersController {
  constructor(
    private readonly users: UserDirectory,
    private readonly throttle: LoginThrottle,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with shortname and password; answers an access token' })
  async login(
    @Body() body: LoginDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const retryAfter = this.throttle.retryAfterS(body.shortname, address);
    if (retryAfter > 0) {
      response.setHeader('Retry-After', String(retryAfter));
      throw new DmartException(
        { type: 'auth', code: 110, message: 'too many failed login attempts; retry later' },
        429,
      );
    }
    const user = await this.users.find(body.shortname);
    const passwordHash = user.status === 'defined' ? user.profile.password_hash : undefined;
    const matches = await verifyPassword(passwordHash, body.password);
    if (!matches || user.status !== 'defined' || !user.profile.is_active) {
      this.throttle.recordFailure(body.shortname, address);
      throw new DmartException(INVALID_CREDENTIALS, 401);
    }
    this.throttle.recordSuccess(body.shortname);
    const { roles, groups } = user.profile;
    const accessToken = await this.jwt.signAsync(
      { sub: user.shortname, roles: [...roles], groups: [...groups] },
      { expiresIn: this.config.JWT_TTL_SECONDS },
    );
    return {
      status: 'success',
      records: [
        {
          resource_type: 'user',
          shortname: user.shortname,
          subpath: USERS_SUBPATH,
          attributes: { access_token: accessToken, type: 'web' },
        },
      ],
    };
  }

  @Get('profile')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: "The caller's profile (a user of management/users, or the token's claims)" })
  async profile(@CurrentActor() actor: EnvelopeActor) {
    const user = await this.users.find(actor.shortname);
    return {
      status: 'success',
      records: [
        {
          resource_type: 'user',
          shortname: actor.shortname,
          subpath: USERS_SUBPATH,
          attributes: profileAttributes(user, actor),
        },
      ],
    };
  }

  @Post('logout')
  @HttpCode(200)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Log out: tokens are stateless; the client drops its token (it stands until exp)',
  })
  logout() {
    return { status: 'success' };
  }
}

/** Dmart's profile attributes: the stored user's, or (never registered here: a token of its own) the token's roles and groups. */
function profileAttributes(user: UserStreamState, actor: EnvelopeActor): Record<string, unknown> {
  if (user.status !== 'defined') return { type: 'web', roles: actor.roles, groups: actor.groups ?? [] };
  const { password_hash: _hash, ...profile } = user.profile;
  return { type: 'web', ...profile };
}
