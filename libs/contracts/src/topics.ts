/**
 * Kafka topic names of the public contract (ARCHITECTURE.md "Kafka contract"). Partition counts and
 * retention are deployment configuration (deploy/local/infra.sh, deploy/compose.yaml, k8s/).
 */
export const TOPICS = {
  /** Commands; key = `space/subpath/shortname`; value = `CommandEnvelope` JSON. */
  commands: 'tickets.commands.v1',
  /** Results; key = `command_id`; value = `CommandResult` JSON. */
  commandResults: 'tickets.command-results.v1',
  /** Rejected unparseable/invalid commands, copied with the reason (header `x-dlq-reason`). */
  commandsDlq: 'tickets.commands.dlq.v1',
  /** Public integration events of ticket changes (read side). */
  events: 'tickets.events.v1',
} as const;

/** The four topic names a deployment uses. */
export type TopicNames = { readonly [K in keyof typeof TOPICS]: string };

/**
 * The topic names with an optional `prefix` (config `KAFKA_TOPIC_PREFIX`, empty by default) so that several
 * environments or isolated test runs can share one cluster; the public contract is the unprefixed names.
 */
export function topicNames(prefix = ''): TopicNames {
  return {
    commands: prefix + TOPICS.commands,
    commandResults: prefix + TOPICS.commandResults,
    commandsDlq: prefix + TOPICS.commandsDlq,
    events: prefix + TOPICS.events,
  };
}
