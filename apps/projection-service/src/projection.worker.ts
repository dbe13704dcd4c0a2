import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '@tickets/config';
import { EVENT_STORE, type EventStore } from '@tickets/event-store';
import { APP_CONFIG } from '@tickets/platform';
import { ProjectionRunner, ReadModels, type ProjectionLag } from '@tickets/read-models';
import { ProjectionMetrics } from './projection.metrics';

/**
 * Owns the one {@link ProjectionRunner} of the service: at bootstrap it creates the read models' indexes and
 * starts the runner from the checkpoint `PROJECTION_NAME`; before shutdown (so before the event store and the
 * mongoose connection close) it stops it, which drains the in-flight event and stores the checkpoint.
 */
@Injectable()
export class ProjectionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runner: ProjectionRunner;
  private readonly logger = new Logger(ProjectionRunner.name);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(EVENT_STORE) store: EventStore,
    private readonly readModels: ReadModels,
    metrics: ProjectionMetrics,
  ) {
    this.runner = new ProjectionRunner({
      name: config.PROJECTION_NAME,
      store,
      projections: readModels.projections(),
      checkpoints: readModels.checkpoints,
      logger: this.logger,
      onApplied: (projection, outcome, event) => metrics.countApplied(projection, outcome, event),
    });
    metrics.bindLag(() => this.runner.lag());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.readModels.ensureIndexes();
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }

  /** See {@link ProjectionRunner.lag}. */
  lag(): Promise<ProjectionLag> {
    return this.runner.lag();
  }
}
