import { Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ReadModels } from './read-models';
import { TicketsReadModel } from './tickets/tickets.read-model';
import { WorkflowsReadModel } from './workflows/workflows.read-model';

/**
 * NestJS module providing {@link ReadModels}, {@link TicketsReadModel} and {@link WorkflowsReadModel} on the
 * default mongoose connection. The importing application sets the connection up
 * (`MongooseModule.forRoot`/`forRootAsync` with config `MONGODB_URI`).
 */
@Module({
  providers: [
    { provide: ReadModels, inject: [getConnectionToken()], useFactory: (connection: Connection) => new ReadModels(connection) },
    { provide: TicketsReadModel, inject: [ReadModels], useFactory: (models: ReadModels) => models.tickets },
    { provide: WorkflowsReadModel, inject: [ReadModels], useFactory: (models: ReadModels) => models.workflows },
  ],
  exports: [ReadModels, TicketsReadModel, WorkflowsReadModel],
})
export class ReadModelsModule {}
