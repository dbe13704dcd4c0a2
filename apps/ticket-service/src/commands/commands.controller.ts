import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { TOPICS } from '@tickets/contracts';
import { CommandProcessor } from './command-processor';

/** Kafka adapter: one message of `tickets.commands.v1` in, handed to the processor (STYLE.md: thin). */
@Controller()
export class CommandsController {
  constructor(private readonly processor: CommandProcessor) {}

  @EventPattern(TOPICS.commands)
  async onCommand(@Payload() value: unknown, @Ctx() context: KafkaContext): Promise<void> {
    const message = context.getMessage();
    await this.processor.process(value, {
      topic: context.getTopic(),
      partition: context.getPartition(),
      offset: message.offset,
      key: message.key === null || message.key === undefined ? null : String(message.key),
    });
  }
}
