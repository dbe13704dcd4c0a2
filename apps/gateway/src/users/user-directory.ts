import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AppConfig } from '@tickets/config';
import { streamIds } from '@tickets/contracts';
import {
  foldEvents,
  tokenStillValid,
  userDecider,
  type UserEvent,
  type UserStreamState,
} from '@tickets/domain';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { APP_CONFIG } from '@tickets/platform';

/**
 * The gateway's view of users (Dmart's `management/users`): each user's stream `user-<shortname>` read
 * straight from the event store and folded with the domain's user decider. Chosen over a read model because
 * login and token checks then see a change the moment ticket-service committed it (no projection lag: a user
 * created or deactivated a moment ago is already known) and the password hash is never copied into MongoDB.
 * One stream read per login; token checks are cached for `USER_STATUS_CACHE_TTL_MS`.
 */
@Injectable()
export class UserDirectory {
  private readonly statuses: LRUCache<string, UserStreamState> | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.statuses =
      config.USER_STATUS_CACHE_TTL_MS > 0
        ? new LRUCache({ max: 50_000, ttl: config.USER_STATUS_CACHE_TTL_MS })
        : undefined;
  }

  /** The user's current state (`absent` when never created), read now from its stream. */
  async find(shortname: string): Promise<UserStreamState> {
    const recorded = await this.store.readStream(streamIds.user(shortname));
    const state = foldEvents(
      userDecider,
      recorded.map((e) => ({ type: e.type, data: e.data }) as unknown as UserEvent),
    );
    this.statuses?.set(shortname, state);
    return state;
  }

  /**
   * Whether a token of `shortname` issued at `issuedAtS` (JWT `iat`, seconds) still stands (the domain's
   * `tokenStillValid`: refused once the user is deactivated, deleted, or had roles, groups or password
   * changed after the token was issued). The user's state is cached up to `USER_STATUS_CACHE_TTL_MS`, so a
   * deactivation reaches every gateway replica within that time.
   */
  async tokenStillValid(shortname: string, issuedAtS: number | undefined): Promise<boolean> {
    const state = this.statuses?.get(shortname) ?? (await this.find(shortname));
    return tokenStillValid(state, issuedAtS);
  }
}
