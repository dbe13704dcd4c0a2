import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { EventStore } from '@tickets/event-store';
import { PROJECTION_CHECKPOINTS_COLLECTION } from '../checkpoints/projection-checkpoints';
import { ProjectionRunner, type ProjectionLag, type ProjectionLogger } from '../projection-runner';
import { ReadModels } from '../read-models';
import { ReadModelAliases } from './read-model-aliases';
import {
  fixedGeneration,
  generationOfCollection,
  readModelGeneration,
  type ReadModelGeneration,
} from './read-model-generation';

/** Options of {@link rebuildReadModels} and {@link rollbackReadModels}. Durations in ms. */
export interface ReadModelSwitchOptions {
  /** The connection to the read models' database (config `MONGODB_URI`). */
  readonly connection: Connection;
  readonly store: EventStore;
  /** Config `PROJECTION_NAME`. */
  readonly projectionName: string;
  readonly logger?: ProjectionLogger;
  /** Switch once nothing waits or the oldest waiting event is younger than this (default 250). */
  readonly caughtUpLagMs?: number;
  /**
   * After the switch, how long the rebuild's runner keeps the new generation current while waiting for a
   * projection-service to take over (`adopted_at` in the alias; default 30 000). Without one, the switch
   * stands and the next projection-service start continues from the checkpoint.
   */
  readonly adoptionTimeoutMs?: number;
  /** The rebuild lease is taken over by another rebuild after this long without a heartbeat (default 30 000). */
  readonly leaseMs?: number;
  /** How often progress is checked (default 200). */
  readonly pollMs?: number;
  /** Called at each check with the runner's lag (progress reports; `behind` is 0 or 1 here, compare positions). */
  readonly onProgress?: (lag: ProjectionLag, target: ReadModelGeneration) => void;
  /** Aborts before the switch: the runner stops and a fresh generation is dropped. */
  readonly signal?: AbortSignal;
}

/** What a switch did. */
export interface ReadModelSwitchResult {
  readonly from: ReadModelGeneration;
  readonly to: ReadModelGeneration;
  /** Checkpoint of `to` at the switch (`null`: empty log). */
  readonly position: bigint | null;
  /** Events the rebuild's runner processed. */
  readonly events_processed: number;
  /** Whether a projection-service took over `to` before the rebuild's runner stopped. */
  readonly adopted: boolean;
}

/** Another rebuild holds the lease in `read_model_aliases`. */
export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
}

/**
 * Rebuilds the read models without downtime (ARCHITECTURE.md "projection-service: rebuildable from zero without
 * downtime"; docs/read-models.md "Rebuilding without downtime"):
 * 1. takes the rebuild lease in `read_model_aliases` (one rebuild at a time);
 * 2. creates generation `n + 1` (`tickets_v<n+1>`, `ticket_counters_v<n+1>`, `workflows_v<n+1>`, with
 *    indexes) and projects the whole event log into it from position zero, under its own checkpoint, while
 *    the live generation keeps serving and being maintained by the projection-service;
 * 3. once caught up, switches the alias (one conditional update), keeping the old generation as `previous`;
 * 4. keeps the new generation current until the projection-service, which follows the alias, has taken over
 *    from the rebuilt checkpoint (both may briefly write it: the revision and counter guards make that safe);
 * 5. stops, storing its checkpoint. The old generation stays for rollback ({@link rollbackReadModels}).
 * Readers (every gateway replica) follow the switch within `READ_MODEL_ALIAS_TTL_MS`.
 * @throws RebuildInProgressError; AliasSwitchConflictError when another switch happened meanwhile (the new
 *   generation is then dropped); the driver's or store's errors.
 */
export function rebuildReadModels(options: ReadModelSwitchOptions): Promise<ReadModelSwitchResult> {
  return prepareAndSwitch(options, async (from, aliases) => {
    const previous = await aliases.previous();
    const existing = (await options.connection.listCollections()).map((c) => generationOfCollection(c.name) ?? 0);
    const version = Math.max(from.version, previous?.version ?? 0, ...existing) + 1;
    return { to: readModelGeneration(version, options.projectionName), fresh: true };
  });
}

/**
 * Switches back to the generation that was live before the last switch (kept as `previous`): first brings it
 * up to date from its own checkpoint (it stopped being maintained at the switch), then switches as
 * {@link rebuildReadModels} does. Nothing is dropped.
 * @throws Error when there is no previous generation; as {@link rebuildReadModels} otherwise.
 */
export function rollbackReadModels(options: ReadModelSwitchOptions): Promise<ReadModelSwitchResult> {
  return prepareAndSwitch(options, async (_from, aliases) => {
    const previous = await aliases.previous();
    if (!previous) throw new Error('there is no previous read model generation to roll back to');
    return { to: previous, fresh: false };
  });
}

async function prepareAndSwitch(
  options: ReadModelSwitchOptions,
  pickTarget: (from: ReadModelGeneration, aliases: ReadModelAliases) => Promise<{ to: ReadModelGeneration; fresh: boolean }>,
): Promise<ReadModelSwitchResult> {
  const logger = options.logger ?? console;
  const pollMs = options.pollMs ?? 200;
  const leaseMs = options.leaseMs ?? 30_000;
  const aliases = new ReadModelAliases(options.connection, { projectionName: options.projectionName });
  await aliases.ensureDocument();
  const from = await aliases.resolve();
  const { to, fresh } = await pickTarget(from, aliases);
  const owner = randomUUID();
  if (!(await aliases.acquireRebuildLease(owner, to.version, leaseMs))) {
    const lease = (await aliases.read())?.rebuild;
    throw new RebuildInProgressError(
      `a rebuild of generation ${lease?.version ?? '?'} is running (owner ${lease?.owner ?? '?'}, heartbeat ${lease?.heartbeat_at?.toISOString?.() ?? '?'})`,
    );
  }
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    aliases.renewRebuildLease(owner).then(
      (held) => {
        if (!held) leaseLost = true;
      },
      (error: unknown) => logger.warn(`rebuild: renewing the lease failed: ${(error as Error).message}`),
    );
  }, Math.max(1000, Math.floor(leaseMs / 3)));
  heartbeat.unref();

  let runner: ProjectionRunner | null = null;
  let switched = false;
  try {
    if (fresh) await dropGeneration(options.connection, aliases, to);
    const models = new ReadModels(options.connection, fixedGeneration(to));
    await models.ensureIndexes();
    // lagCountLimit 1: the progress check only needs "anything waiting?" and the oldest waiting event's age;
    // counting up to 1000 waiting events every poll would compete with the rebuild for the store.
    runner = new ProjectionRunner({
      name: to.checkpoint,
      store: options.store,
      projections: models.projections(),
      checkpoints: models.checkpoints,
      parking: models.parked,
      lagCountLimit: 1,
      logger,
    });
    logger.log(`rebuild: ${fresh ? 'building' : 'catching up'} generation ${to.version} (${to.collections.tickets}, checkpoint ${to.checkpoint}); live: ${from.version}`);
    await runner.start();
    for (;;) {
      if (options.signal?.aborted) throw new Error('rebuild aborted');
      if (leaseLost) throw new RebuildInProgressError('the rebuild lease was taken over by another rebuild');
      const lag = await runner.lag();
      options.onProgress?.(lag, to);
      if (lag.behind === 0 || lag.lag_ms <= (options.caughtUpLagMs ?? 250)) break;
      await sleep(pollMs, options.signal);
    }
    await runner.saveCheckpoint();
    const position = runner.status().position;
    await aliases.switchTo(from, to, position);
    switched = true;
    logger.log(`rebuild: switched the live read models from generation ${from.version} to ${to.version} at position ${position ?? 'start'}`);

    const deadline = Date.now() + (options.adoptionTimeoutMs ?? 30_000);
    let adopted = false;
    while (!adopted && Date.now() < deadline) {
      const doc = await aliases.read();
      adopted = doc?.version === to.version && doc.adopted_at !== null && doc.adopted_at !== undefined;
      if (!adopted) await sleep(pollMs);
    }
    if (!adopted) logger.warn(`rebuild: no projection-service took over generation ${to.version} yet; it continues from checkpoint ${to.checkpoint} when one runs`);
    await runner.stop();
    return { from, to, position, events_processed: runner.status().events_processed, adopted };
  } catch (error) {
    await runner?.stop().catch(() => undefined);
    if (fresh && !switched) await dropGeneration(options.connection, aliases, to).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(heartbeat);
    await aliases.releaseRebuildLease(owner).catch(() => undefined);
  }
}

/**
 * Drops the read model generations that are neither live nor `previous` (their collections and checkpoints)
 * and resolves the dropped collection names. Generation 1's plain collections are dropped too once two
 * rebuilds have replaced them.
 */
export async function pruneReadModels(connection: Connection, projectionName: string): Promise<string[]> {
  const aliases = new ReadModelAliases(connection, { projectionName });
  const live = await aliases.resolve();
  const previous = await aliases.previous();
  const keep = new Set([live.version, previous?.version].filter((v): v is number => v !== undefined));
  const dropped: string[] = [];
  for (const { name } of await connection.listCollections()) {
    const version = generationOfCollection(name);
    if (version === null || keep.has(version)) continue;
    await connection.dropCollection(name);
    await connection.collection(PROJECTION_CHECKPOINTS_COLLECTION).deleteOne({ _id: readModelGeneration(version, projectionName).checkpoint as never });
    dropped.push(name);
  }
  return dropped;
}

/** The generation numbers that have collections in the database, ascending. */
export async function listGenerations(connection: Connection): Promise<number[]> {
  const versions = (await connection.listCollections()).map((c) => generationOfCollection(c.name)).filter((v): v is number => v !== null);
  return [...new Set(versions)].sort((a, b) => a - b);
}

/** Drops the collections and the checkpoint of `generation`, refusing the live and the previous one. */
async function dropGeneration(connection: Connection, aliases: ReadModelAliases, generation: ReadModelGeneration): Promise<void> {
  const doc = await aliases.read();
  const protectedVersions = [doc?.version ?? 1, doc?.previous?.version];
  if (protectedVersions.includes(generation.version)) {
    throw new Error(`refusing to drop read model generation ${generation.version}: it is live or kept for rollback`);
  }
  const existing = new Set((await connection.listCollections()).map((c) => c.name));
  for (const name of Object.values(generation.collections)) {
    if (existing.has(name)) await connection.dropCollection(name);
  }
  await connection.collection(PROJECTION_CHECKPOINTS_COLLECTION).deleteOne({ _id: generation.checkpoint as never });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
