import type { ResourceKey } from '@tickets/domain';

/** Trims leading/trailing slashes and collapses repeated ones: `/a//b/` -> `a/b` (TICKETS.md section 1). */
export function normalizeSubpath(subpath: string): string {
  return subpath.split('/').filter(Boolean).join('/');
}

/** The Kafka key and display form of a resource: `space/subpath/shortname`. */
export function resourcePath(key: ResourceKey): string {
  return [key.space_name, key.subpath, key.shortname].filter(Boolean).join('/');
}

/**
 * Event store stream ids (ARCHITECTURE.md "Event store": one stream per ticket and per workflow definition).
 * The category prefix before the first `-` lets projections route events without reading them.
 */
export const streamIds = {
  ticket: (key: ResourceKey) => `ticket-${key.space_name}/${key.subpath}/${key.shortname}`,
  workflow: (space: string, shortname: string) => `workflow-${space}/${shortname}`,
  schema: (space: string, shortname: string) => `schema-${space}/${shortname}`,
  group: (shortname: string) => `group-${shortname}`,
  /** A user of the `management` space (Dmart's `management/users/<shortname>`). */
  user: (shortname: string) => `user-${shortname}`,
  /** Holds the recorded rejection of one command, so a redelivery returns the same result. */
  commandRejection: (commandId: string) => `command-${commandId}`,
} as const;

/** Category of a stream id: `ticket`, `workflow`, `schema`, `group`, `user` or `command`. */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(0, dash);
}
