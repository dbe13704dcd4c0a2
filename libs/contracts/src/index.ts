export * from './topics';
export * from './resource-key';
export * from './command-envelope';
export * from './command-result';
export * from './ticket-view';
