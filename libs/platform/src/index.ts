export * from './metrics';
export * from './logging';
export * from './config.module';
export * from './health';
export * from './event-store.module';
