import { type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ClientKafka } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';

/**
 * Publishes JSON messages to Kafka through Nest's `ClientKafka` (kafkajs underneath; options in kafka-options.ts).
 * `publish` resolves once the broker acknowledged the write; it rejects on broker errors.
 */
export class KafkaPublisher implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly client: ClientKafka) {}

  async onModuleInit(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  /**
   * @param topic target topic
   * @param key partition key (ticket path for commands, command id for results)
   * @param value serialised as JSON
   * @param headers optional string headers
   */
  async publish(topic: string, key: string, value: unknown, headers: Record<string, string> = {}): Promise<void> {
    await lastValueFrom(this.client.emit(topic, { key, value: JSON.stringify(value), headers }), {
      defaultValue: undefined,
    });
  }
}
