import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { streamIds, type EnvelopeActor } from '@tickets/contracts';
import {
  effectiveRoles,
  groupDecider,
  schemaDecider,
  workflowDecider,
  workflowVersion,
  type Actor,
  type Decider,
  type JsonSchema,
  type ResolvedWorkflow,
} from '@tickets/domain';
import { GroupCommitEventStore } from '@tickets/event-store';
import { foldRecorded } from './handle-command';

/**
 * Reads what a ticket command needs from other streams, since the decider is pure (ticket.commands.ts
 * `TicketContext`): workflow versions, payload schemas, and the roles of the actor's groups.
 *
 * Caching: a workflow version never changes once defined, so a version read once is kept. The latest
 * workflow, the latest schema and a group's roles may change at any time, so their streams are read for
 * every command (the reads of a batch's commands go out together as one query, see GroupCommitEventStore);
 * only the fold is cached, keyed by stream and checked against the last event's revision and id, so an
 * unchanged definition is not folded again and a changed one is seen by the next command.
 */
@Injectable()
export class ResourceResolver {
  private readonly versions = new LRUCache<string, ResolvedWorkflow>({ max: 10_000 });
  private readonly folds = new LRUCache<
    string,
    { readonly revision: bigint; readonly id: string; readonly state: unknown }
  >({ max: 10_000 });

  constructor(private readonly store: GroupCommitEventStore) {}

  /** The state of a workflow, schema or group stream, folded anew only when its last event changed. */
  private async current<State>(
    streamId: string,
    decider: Pick<Decider<State, never, never>, 'evolve' | 'initialState'>,
  ): Promise<State> {
    const events = await this.store.readStream(streamId);
    const last = events.at(-1);
    if (!last) return decider.initialState();
    const cached = this.folds.get(streamId);
    if (cached && cached.revision === last.revision && cached.id === last.id) return cached.state as State;
    const state = foldRecorded(decider, events);
    this.folds.set(streamId, { revision: last.revision, id: last.id, state });
    return state;
  }

  /**
   * The actor with effective roles: token roles + `logged_in` + the roles of each group named in the token's
   * `groups` claim (TICKETS.md section 3, **Fix**: Dmart ignores group roles). Unknown groups add nothing.
   */
  async actor(actor: EnvelopeActor): Promise<Actor> {
    const groups = actor.groups ?? [];
    const groupRoles = await Promise.all(
      groups.map(async (group) => {
        const state = await this.current(streamIds.group(group), groupDecider);
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
    const state = await this.current(streamIds.workflow(space, shortname), workflowDecider);
    if (state.status === 'absent') return undefined;
    if (version !== undefined && state.versions[version] === undefined) return undefined;
    const resolved = workflowVersion(state, version);
    this.versions.set(`${space}/${shortname}@${resolved.version}`, resolved);
    return resolved;
  }

  /** The latest JSON Schema `space/schema/shortname` (TICKETS.md section 5), or `undefined`. */
  async schema(space: string, shortname: string | undefined | null): Promise<JsonSchema | undefined> {
    if (!shortname) return undefined;
    const state = await this.current(streamIds.schema(space, shortname), schemaDecider);
    return state.status === 'defined' ? state.schema : undefined;
  }
}
