import type { ExecutionContext } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { DmartException } from '../errors/dmart-exception';
import { ManagedRequestDto, SHORTNAME, SUBPATH } from './managed-request.dto';
import { parseTicketPath } from './request-translator';

/** "Muhammad" with its diacritics (shadda, fatha): letters and combining marks. */
const WITH_DIACRITICS = 'مُحَمَّد';

describe('shortnames with Arabic diacritics (combining marks, as the domain allows)', () => {
  it('match the shortname and subpath rules', () => {
    expect(SHORTNAME.test(WITH_DIACRITICS)).toBe(true);
    expect(SHORTNAME.test(`تذكرة_${WITH_DIACRITICS}_1`)).toBe(true);
    expect(SUBPATH.test(`تذاكر/${WITH_DIACRITICS}`)).toBe(true);
    expect(SHORTNAME.test('a b')).toBe(false);
    expect(SHORTNAME.test('x'.repeat(65))).toBe(false);
  });

  it('pass the request validation and the ticket path', async () => {
    const dto = plainToInstance(ManagedRequestDto, {
      space_name: 'acme',
      request_type: 'create',
      records: [{ resource_type: 'ticket', shortname: WITH_DIACRITICS, subpath: `tickets/${WITH_DIACRITICS}` }],
    });
    expect(await validate(dto)).toEqual([]);
    expect(parseTicketPath('acme', ['tickets', WITH_DIACRITICS])).toEqual({ space_name: 'acme', subpath: 'tickets', shortname: WITH_DIACRITICS });
  });

  it('are accepted as the `sub` of a token', async () => {
    const jwt = new JwtService({ secret: 'test-secret', signOptions: { algorithm: 'HS256', expiresIn: 3600 } });
    const guard = new JwtAuthGuard(jwt, { JWT_MAX_LIFETIME_S: 86400 });
    const request: Record<string, any> = { headers: { authorization: `Bearer ${jwt.sign({ sub: WITH_DIACRITICS, roles: ['agent'] })}` } };
    const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request['actor']).toEqual({ shortname: WITH_DIACRITICS, roles: ['agent'], groups: [] });
    request['headers'].authorization = `Bearer ${jwt.sign({ sub: 'not a shortname' })}`;
    await expect(guard.canActivate(context)).rejects.toThrow(DmartException);
  });
});
