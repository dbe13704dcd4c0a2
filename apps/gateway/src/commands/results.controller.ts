import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS, type CommandResult } from '@tickets/contracts';
import { CommandBus } from './command-bus';

/** Kafka adapter: each result on `tickets.command-results.v1` goes to the command bus. */
@Controller()
export class ResultsController {
  constructor(private readonly bus: CommandBus) {}

  @EventPattern(TOPICS.commandResults)
  onResult(@Payload() result: CommandResult): void {
    if (result && typeof result === 'object' && typeof result.command_id === 'string') this.bus.onResult(result);
  }
}
