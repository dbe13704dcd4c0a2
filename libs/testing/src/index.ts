export * from './e2e-client';
