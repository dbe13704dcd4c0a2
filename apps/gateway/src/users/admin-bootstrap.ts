import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import { USERS_SUBPATH } from '@tickets/domain';
import { APP_CONFIG } from '@tickets/platform';
import { CommandBus } from '../commands/command-bus';
import { commandIdFor } from '../commands/idempotency';
import { buildEnvelope, MANAGEMENT_SPACE } from '../managed/request-translator';
import { hashPassword } from './passwords';
import { UserDirectory } from './user-directory';

/** The actor on whose behalf the first admin is created (shown in the user's history). */
const BOOTSTRAP_ACTOR = 'bootstrap';

/**
 * First start: with `BOOTSTRAP_ADMIN_PASSWORD` set, creates the user `BOOTSTRAP_ADMIN_SHORTNAME` (default
 * `admin`) with the first of `ADMIN_ROLES`, through the same command as an admin's request (`DefineUser`,
 * handled by ticket-service: an event like any other change). Does nothing once that user exists (or was
 * deleted), so the variable may stay set; its command id is fixed, so replicas starting together create it once.
 */
@Injectable()
export class AdminBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UserDirectory,
    private readonly bus: CommandBus,
  ) {}

  /** Never throws: a failure is logged and the gateway serves on (an admin token can still be made by `npm run token`). */
  async run(): Promise<void> {
    const { BOOTSTRAP_ADMIN_PASSWORD: password, BOOTSTRAP_ADMIN_SHORTNAME: shortname } = this.config;
    if (!password) return;
    try {
      if ((await this.users.find(shortname)).status !== 'absent') return;
      const role = this.config.adminRoles[0];
      const envelope = buildEnvelope(
        'DefineUser',
        { space_name: MANAGEMENT_SPACE, subpath: USERS_SUBPATH, shortname },
        { shortname: BOOTSTRAP_ACTOR, roles: [role] },
        { mode: 'create', changes: { roles: [role], password_hash: await hashPassword(password) } },
        undefined,
        commandIdFor(BOOTSTRAP_ACTOR, `admin:${shortname}`, 0),
      );
      const result = await this.bus.send(envelope);
      if (result.status === 'succeeded')
        this.logger.log(`created the first admin '${shortname}' with role '${role}'`);
      else if (result.error?.code !== 400)
        this.logger.error(
          `could not create the first admin '${shortname}': ${result.error?.message ?? result.status}`,
        );
    } catch (error) {
      this.logger.error({ err: error }, `could not create the first admin '${shortname}'`);
    }
  }
}
