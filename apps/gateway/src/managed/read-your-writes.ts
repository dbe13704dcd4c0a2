import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import { resourcePath } from '@tickets/contracts';
import { ValidationError, type ResourceKey } from '@tickets/domain';
import { APP_CONFIG } from '@tickets/platform';
import { TicketsReadModel } from '@tickets/read-models';
import { CommandBus } from '../commands/command-bus';

/**
 * Read-your-writes for ticket reads (issue "walking skeleton"; ARCHITECTURE.md "HTTP API"): before answering,
 * wait (at most `READ_YOUR_WRITES_TIMEOUT_MS`) until the read model has applied the last write this gateway
 * saw for the ticket, or the `min_position` the client passes (the `position` of its command's answer).
 * On time-out the read answers with what the read model has.
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    private readonly bus: CommandBus,
    private readonly tickets: TicketsReadModel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** @throws ValidationError (422) when `minPosition` is not a non-negative integer */
  async waitFor(key: ResourceKey, minPosition?: string): Promise<void> {
    let target = this.bus.lastPosition(resourcePath(key));
    if (minPosition !== undefined) {
      if (!/^\d{1,20}$/.test(minPosition)) throw new ValidationError('min_position must be a non-negative integer');
      const requested = BigInt(minPosition);
      if (target === undefined || requested > target) target = requested;
    }
    if (target === undefined) return;
    await this.tickets.waitForPosition(key, target, this.config.READ_YOUR_WRITES_TIMEOUT_MS);
  }
}
