import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AppConfig } from '@tickets/config';
import { APP_CONFIG } from '@tickets/platform';

/**
 * Bounds failed logins per user shortname and per client address: at most `LOGIN_MAX_FAILURES_PER_USER` /
 * `LOGIN_MAX_FAILURES_PER_ADDRESS` failures in a fixed window of `LOGIN_FAILURE_WINDOW_S` that starts at the
 * first failure. In process (each gateway replica counts its own; the bound is per replica), in bounded
 * LRU maps, so a flood of made-up names cannot grow memory without limit.
 */
@Injectable()
export class LoginThrottle {
  private readonly failures: LRUCache<string, { count: number }>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // ttlAutopurge off: an entry expires LOGIN_FAILURE_WINDOW_S after it was first set (noUpdateTTL).
    this.failures = new LRUCache({
      max: 100_000,
      ttl: config.LOGIN_FAILURE_WINDOW_S * 1000,
      noUpdateTTL: true,
    });
  }

  /**
   * Seconds until `shortname` from `address` may try again, or 0 when it may try now.
   */
  retryAfterS(shortname: string, address: string): number {
    const over = (key: string, limit: number) => (this.failures.get(key)?.count ?? 0) >= limit;
    const waits = [
      over(`user:${shortname}`, this.config.LOGIN_MAX_FAILURES_PER_USER)
        ? this.failures.getRemainingTTL(`user:${shortname}`)
        : 0,
      over(`address:${address}`, this.config.LOGIN_MAX_FAILURES_PER_ADDRESS)
        ? this.failures.getRemainingTTL(`address:${address}`)
        : 0,
    ];
    return Math.ceil(Math.max(...waits) / 1000);
  }

  /** Counts a failed attempt against the user and the address. */
  recordFailure(shortname: string, address: string): void {
    for (const key of [`user:${shortname}`, `address:${address}`]) {
      const entry = this.failures.get(key);
      if (entry) entry.count += 1;
      else this.failures.set(key, { count: 1 });
    }
  }

  /** A successful login forgets the user's failures (not the address's). */
  recordSuccess(shortname: string): void {
    this.failures.delete(`user:${shortname}`);
  }
}
