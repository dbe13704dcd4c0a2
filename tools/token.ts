import { JwtService } from '@nestjs/jwt';
import { loadConfig } from '@tickets/config';

/**
 * `npm run token -- <user> [role,role] [group,group]`: prints an HS256 bearer token for local use, signed
 * with `JWT_SECRET` (or the development secret outside production), valid `JWT_TTL_SECONDS`.
 */
function main(): void {
  const [user, roles = '', groups = ''] = process.argv.slice(2);
  if (!user || !/^[\p{L}\p{N}_]{1,64}$/u.test(user)) {
    process.stderr.write('usage: npm run token -- <user shortname> [role,role] [group,group]\n');
    process.exit(2);
  }
  const config = loadConfig();
  const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);
  const token = new JwtService({ secret: config.jwtSecret }).sign(
    { sub: user, roles: list(roles), groups: list(groups) },
    { algorithm: 'HS256', expiresIn: config.JWT_TTL_SECONDS },
  );
  process.stdout.write(`${token}\n`);
}

main();
