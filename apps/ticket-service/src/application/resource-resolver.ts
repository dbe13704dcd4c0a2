import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { streamIds, type EnvelopeActor } from '@tickets/contracts';
import {
  effectiveRoles,
  groupDecider,
  schemaDecider,
  workflowDecider,
  workflowVersion,
  type Actor,
  type JsonSchema,
  type ResolvedWorkflow,
} from '@tickets/domain';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { foldRecorded } from './handle-command';

/**
 * Reads what a ticket command needs from other streams, since the decider is pure (ticket.commands.ts
 * `TicketContext`): workflow versions, payload schemas, and the roles of the actor's groups.
 */
@Injectable()
export class ResourceResolver {
  /** Workflow versions never change once defined, so a version read once is kept (bounded). */
  private readonly versions = new LRUCache<string, ResolvedWorkflow>({ max: 10_000 });

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * The actor with effective roles: token roles + `logged_in` + the roles of each group named in the token's
   * `groups` claim (TICKETS.md section 3, **Fix**: Dmart ignores group roles). Unknown groups add nothing.
   */
  async actor(actor: EnvelopeActor): Promise<Actor> {
    const groups = actor.groups ?? [];
    const groupRoles = await Promise.all(
      groups.map(async (group) => {
        const state = foldRecorded(groupDecider, await this.store.readStream(streamIds.group(group)));
        return state.status === 'defined' ? state.roles : [];
      }),
    );
    return { shortname: actor.shortname, roles: effectiveRoles(actor.roles, groupRoles), groups };
  }

  /**
   * The workflow `space/workflows/shortname` at `version` (the latest when undefined), or `undefined` when the
   * workflow or that version does not exist (the decider then refuses with 220, TICKETS.md section 4).
   */
  async workflow(space: string, shortname: string, version?: number): Promise<ResolvedWorkflow | undefined> {
    const cacheKey = `${space}/${shortname}@${version}`;
    const cached = version === undefined ? undefined : this.versions.get(cacheKey);
    if (cached) return cached;
    const state = foldRecorded(workflowDecider, await this.store.readStream(streamIds.workflow(space, shortname)));
    if (state.status === 'absent') return undefined;
    if (version !== undefined && state.versions[version] === undefined) return undefined;
    const resolved = workflowVersion(state, version);
    this.versions.set(`${space}/${shortname}@${resolved.version}`, resolved);
    return resolved;
  }

  /** The latest JSON Schema `space/schema/shortname` (TICKETS.md section 5), or `undefined`. */
  async schema(space: string, shortname: string | undefined | null): Promise<JsonSchema | undefined> {
    if (!shortname) return undefined;
    const state = foldRecorded(schemaDecider, await this.store.readStream(streamIds.schema(space, shortname)));
    return state.status === 'defined' ? state.schema : undefined;
  }
}
