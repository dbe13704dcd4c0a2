export * from './kafka-batch-server';
export * from './kafka-options';
export * from './kafka-publisher';
export * from './kafka-publisher.provider';
