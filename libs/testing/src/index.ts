export * from './e2e-client';
export * from './kafka-test-client';
export * from './service-process';
export * from './fixtures';
export * from './isolation';
