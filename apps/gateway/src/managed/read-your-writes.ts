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
 * On time-out the read answers with what the read model has; the caller learns that it did not catch up.
 */
@Injectable()
export class ReadYourWrites {
  constructor(
    private readonly bus: CommandBus,
    private readonly tickets: TicketsReadModel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Waits for the read model to reach the position a read of `key` must see.
   * @returns `reached: false` with the awaited `position` when the wait timed out; `reached: true` when it
   *   reached the position, or there was none to wait for
   * @throws ValidationError (422) when `minPosition` is not a non-negative integer of at most 15 digits
   */
  async waitFor(key: ResourceKey, minPosition?: string): Promise<ReadWait> {
    let target = this.bus.lastPosition(resourcePath(key));
    if (minPosition !== undefined) {
      // 15 digits stay below 2^53, the largest position the read model stores exactly.
      if (!/^\d{1,15}$/.test(minPosition)) {
        throw new ValidationError('min_position must be a non-negative integer of at most 15 digits');
      }
      const requested = BigInt(minPosition);
      if (target === undefined || requested > target) target = requested;
    }
    if (target === undefined) return { reached: true };
    const reached = await this.tickets.waitForPosition(key, target, this.config.READ_YOUR_WRITES_TIMEOUT_MS);
    return { reached, position: target };
  }
}

/** Outcome of {@link ReadYourWrites.waitFor}. */
export interface ReadWait {
  /** Whether the read model reached `position` (true when there was nothing to wait for). */
  readonly reached: boolean;
  /** The position waited for, if any. */
  readonly position?: bigint;
}
