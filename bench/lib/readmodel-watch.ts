import type { mongo } from 'mongoose';
import { now, sleep } from './stats';

/**
 * "Request -> read model" latency: after a command's result, the bench reads the `tickets` read model
 * (MongoDB) directly until the ticket's document shows the write (`last_position >= position` of
 * the command's event). Only a sample of commands is watched (at most `maxInFlight` at once).
 *
 * Watching must not load the read model it measures (its reads count in mongod's CPU per command, and the
 * read models still run on stores where a point read is costly). So each watch first follows the
 * projection's stored checkpoint (`projection_checkpoints`, a collection of a few documents, read by one
 * shared poller every `checkpointPollMs`): while the checkpoint is further behind the command's position
 * than the projection advances in ~300 ms, nothing else is read. Near it, the document is read every
 * `pollMs`, backing off x1.25 per miss up to `maxPollMs`. Without a checkpoint or a position (not exposed,
 * renamed, other store), the document is polled the same way from the start.
 *
 * Latency = the first read that sees the write minus the request's start; resolution ~`pollMs` plus one
 * read. A watch that gives up (`timeoutMs` after the request) or is still running when the run's figures are
 * collected counts with the time it waited: a lower bound, reported as such.
 */
export interface WatchTarget {
  readonly position?: number;
  readonly revision?: number;
}

export interface WatchOptions {
  readonly maxInFlight: number;
  readonly pollMs: number;
  readonly maxPollMs: number;
  readonly timeoutMs: number;
}

/** Where the watcher finds the projection's checkpoint and a command's position. */
export interface WatchSources {
  readonly tickets: mongo.Collection;
  /** `projection_checkpoints` and the checkpoint's name (config PROJECTION_NAME); optional. */
  readonly checkpoints?: { readonly collection: mongo.Collection; readonly name: string };
  /** Position of the event at `revision` of the ticket whose document is `docId` (event store lookup); optional. */
  readonly positionOf?: (docId: string, revision: number) => Promise<number | null>;
}

interface Watch {
  readonly t0: number;
  cancelled: boolean;
}

export interface Collected {
  /** Latencies (ms); `lowerBounds` of them are times waited by watches that never saw the write. */
  readonly samples: number[];
  readonly lowerBounds: number;
  readonly errors: number;
  /** Point reads of documents made for these samples (the watching's own load on the read model). */
  readonly documentReads: number;
}

const CHECKPOINT_POLL_MS = 20;
/** How far ahead (in time) of the projection a watch starts reading its document. */
const LEAD_MS = 300;

/** Follows the projection's stored checkpoint and how fast it moves, while someone needs it. */
class CheckpointTracker {
  position: number | null = null;
  /** Events per second, over the last second or so. */
  rate = 0;
  private lastChange = 0;
  private readonly history: { t: number; p: number }[] = [];
  private users = 0;
  private loop: Promise<void> | null = null;

  constructor(private readonly source: { readonly collection: mongo.Collection; readonly name: string }) {}

  /**
   * The checkpoint, or `null` when unknown or not moving for 2 s while watched (another projection name, a
   * stalled projection): the watches then read their documents directly.
   */
  usable(): number | null {
    return this.position !== null && now() - this.lastChange < 2000 ? this.position : null;
  }

  acquire(): void {
    if (this.users === 0) this.lastChange = now();
    this.users++;
    this.loop ??= this.run().finally(() => {
      this.loop = null;
    });
  }

  release(): void {
    this.users--;
  }

  private async run(): Promise<void> {
    while (this.users > 0) {
      try {
        const doc = await this.source.collection.findOne(
          { _id: this.source.name as never },
          { projection: { position: 1 } },
        );
        const p = typeof doc?.['position'] === 'number' ? (doc['position'] as number) : null;
        if (p !== this.position) this.lastChange = now();
        this.position = p;
        if (p !== null) {
          const t = now();
          this.history.push({ t, p });
          while (this.history.length > 2 && t - this.history[0].t > 1500) this.history.shift();
          const first = this.history[0];
          this.rate = t > first.t ? ((p - first.p) / (t - first.t)) * 1000 : 0;
        }
      } catch {
        this.position = null;
      }
      await sleep(CHECKPOINT_POLL_MS);
    }
  }
}

export class ReadModelWatcher {
  private readonly active = new Map<Promise<void>, Watch>();
  private readonly tracker: CheckpointTracker | null;
  private samples: number[] = [];
  private lowerBounds = 0;
  private errors = 0;
  private documentReads = 0;

  constructor(
    private readonly sources: WatchSources,
    private readonly options: WatchOptions,
  ) {
    this.tracker = sources.checkpoints ? new CheckpointTracker(sources.checkpoints) : null;
  }

  /**
   * Watches document `id` until it reaches `target`, if a slot is free; `t0` is the request's start
   * (`now()`). @returns whether the command was sampled.
   */
  offer(id: string, target: WatchTarget, t0: number): boolean {
    if (this.active.size >= this.options.maxInFlight) return false;
    const watch: Watch = { t0, cancelled: false };
    this.tracker?.acquire();
    const running: Promise<void> = this.watch(id, target, watch).finally(() => {
      this.active.delete(running);
      this.tracker?.release();
    });
    this.active.set(running, watch);
    return true;
  }

  /**
   * Waits up to `graceMs` for the watches in flight, counts the ones still running as lower bounds and
   * stops them, then returns and clears what was collected.
   */
  async collect(graceMs = Number.POSITIVE_INFINITY): Promise<Collected> {
    const all = Promise.all([...this.active.keys()]);
    await (Number.isFinite(graceMs) ? Promise.race([all, sleep(graceMs)]) : all);
    for (const watch of this.active.values()) {
      if (watch.cancelled) continue;
      watch.cancelled = true;
      this.samples.push(now() - watch.t0);
      this.lowerBounds++;
    }
    const out = {
      samples: this.samples,
      lowerBounds: this.lowerBounds,
      errors: this.errors,
      documentReads: this.documentReads,
    };
    this.samples = [];
    this.lowerBounds = 0;
    this.errors = 0;
    this.documentReads = 0;
    return out;
  }

  private async watch(id: string, target: WatchTarget, watch: Watch): Promise<void> {
    const deadline = watch.t0 + this.options.timeoutMs;
    let position = target.position;
    if (position === undefined && target.revision !== undefined && this.sources.positionOf) {
      position = (await this.sources.positionOf(id, target.revision).catch(() => null)) ?? undefined;
    }
    const goal: WatchTarget = position !== undefined ? { position } : target;
    let pause = this.options.pollMs;
    for (;;) {
      if (watch.cancelled) return;
      if (now() > deadline) {
        watch.cancelled = true;
        this.samples.push(now() - watch.t0);
        this.lowerBounds++;
        return;
      }
      const checkpoint = this.tracker?.usable() ?? null;
      if (position !== undefined && checkpoint !== null) {
        const lead = Math.max(2, (this.tracker!.rate * LEAD_MS) / 1000);
        if (position - checkpoint > lead) {
          pause = this.options.pollMs; // start reading the document from a short interval once near
          await sleep(CHECKPOINT_POLL_MS);
          continue;
        }
      }
      try {
        this.documentReads++;
        const doc = await this.sources.tickets.findOne(
          { _id: id as never },
          { projection: { revision: 1, last_position: 1 } },
        );
        if (watch.cancelled) return;
        if (doc && reached(doc, goal)) {
          this.samples.push(now() - watch.t0);
          return;
        }
      } catch {
        this.errors++;
      }
      await sleep(pause);
      pause = Math.min(pause * 1.25, this.options.maxPollMs);
    }
  }
}

function reached(doc: mongo.Document, target: WatchTarget): boolean {
  if (
    target.position !== undefined &&
    !(typeof doc['last_position'] === 'number' && doc['last_position'] >= target.position)
  )
    return false;
  if (
    target.revision !== undefined &&
    !(typeof doc['revision'] === 'number' && doc['revision'] >= target.revision)
  )
    return false;
  return true;
}
