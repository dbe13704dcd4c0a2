import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { hostname } from 'node:os';
import type { AppConfig } from '@tickets/config';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { APP_CONFIG } from '@tickets/platform';
import {
  fixedGeneration,
  ProjectionRunner,
  ReadModelAliases,
  ReadModels,
  sameGeneration,
  type ProjectionLag,
  type ReadModelGeneration,
} from '@tickets/read-models';
import { ProjectionMetrics } from './projection.metrics';

/** The lag of the read model runner, with the generation it maintains. */
export interface ReadModelLag extends ProjectionLag {
  /** The generation (docs/read-models.md "Rebuilding without downtime") the runner writes. */
  readonly generation: number;
  /** True while the worker moves from one generation to the next after a switch (the runner restarts). */
  readonly switching: boolean;
}

/**
 * Owns the one {@link ProjectionRunner} of the read models. It maintains the generation the alias in
 * `read_model_aliases` names (docs/read-models.md), and follows the alias: it reads it every
 * `READ_MODEL_ALIAS_TTL_MS`, and when a rebuild (or a rollback) has switched it, it stops the runner of the old
 * generation (which stores that generation's checkpoint, so a rollback can resume it), creates the new
 * generation's indexes and starts a runner on it from the new generation's own checkpoint (the rebuilt one),
 * then records the take-over (`adopted_at`). At bootstrap it starts on the live generation; before shutdown (so
 * before the event store and the mongoose connection close) it stops the runner, which drains the in-flight
 * event and stores the checkpoint.
 */
@Injectable()
export class ProjectionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProjectionRunner.name);
  private readonly aliases: ReadModelAliases;
  private readonly owner = `${hostname()}/${process.pid}`;
  private active: { readonly generation: ReadModelGeneration; readonly runner: ProjectionRunner } | null = null;
  private switching = false;
  private stopped = false;
  private followTimer: NodeJS.Timeout | null = null;
  private following: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @InjectConnection() private readonly connection: Connection,
    private readonly metrics: ProjectionMetrics,
  ) {
    this.aliases = new ReadModelAliases(connection, { projectionName: config.PROJECTION_NAME });
    metrics.bindLag(() => this.lag());
    metrics.bindGeneration(() => this.active?.generation.version ?? null);
  }

  /** The runner of the generation maintained now. @throws Error before bootstrap. */
  get runner(): ProjectionRunner {
    if (!this.active) throw new Error('the projection worker has not started');
    return this.active.runner;
  }

  /** The generation maintained now (`null` before bootstrap). */
  generation(): ReadModelGeneration | null {
    return this.active?.generation ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const generation = await this.aliases.resolve();
    const next = this.runnerFor(generation);
    await next.models.ensureIndexes();
    await next.runner.start();
    this.active = { generation, runner: next.runner };
    await this.aliases.markAdopted(generation.version, this.owner);
    this.scheduleFollow();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.followTimer) clearTimeout(this.followTimer);
    await this.following;
    await this.active?.runner.stop();
  }

  /** See {@link ProjectionRunner.lag}; plus the generation. @throws Error before bootstrap; the store's error. */
  async lag(): Promise<ReadModelLag> {
    const active = this.active;
    if (!active) throw new Error('the projection worker has not started');
    return { ...(await active.runner.lag()), generation: active.generation.version, switching: this.switching };
  }

  private scheduleFollow(): void {
    this.followTimer = setTimeout(() => {
      this.following = this.follow().finally(() => {
        if (!this.stopped) this.scheduleFollow();
      });
    }, this.config.READ_MODEL_ALIAS_TTL_MS);
    this.followTimer.unref();
  }

  /** Reads the alias and moves to the generation it names, if that is another one. Never throws. */
  private async follow(): Promise<void> {
    try {
      const target = await this.aliases.resolve();
      const active = this.active;
      if (this.stopped || !active) return;
      // `active` changes only once the new runner started, so a failed switch is simply retried here.
      if (sameGeneration(target, active.generation)) return;
      await this.switchTo(target);
    } catch (error) {
      this.logger.error(`following the read model alias failed (retrying): ${(error as Error).message}`, (error as Error).stack);
    }
  }

  private async switchTo(target: ReadModelGeneration): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.switching = true;
    try {
      this.logger.log(`read model alias switched: generation ${active.generation.version} -> ${target.version} (checkpoint ${target.checkpoint})`);
      const next = this.runnerFor(target);
      await next.models.ensureIndexes();
      await active.runner.stop();
      await next.runner.start();
      this.active = { generation: target, runner: next.runner };
      await this.aliases.markAdopted(target.version, this.owner);
    } finally {
      this.switching = false;
    }
  }

  private runnerFor(generation: ReadModelGeneration): { models: ReadModels; runner: ProjectionRunner } {
    const models = new ReadModels(this.connection, fixedGeneration(generation));
    const runner = new ProjectionRunner({
      name: generation.checkpoint,
      store: this.store,
      projections: models.projections(),
      checkpoints: models.checkpoints,
      parking: models.parked,
      stallAfterMs: this.config.PROJECTION_STALL_AFTER_MS,
      logger: this.logger,
      onApplied: (projection, outcome, event) => this.metrics.countApplied(projection, outcome, event),
    });
    return { models, runner };
  }
}
