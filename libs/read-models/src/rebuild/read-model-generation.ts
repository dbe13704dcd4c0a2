import { TICKET_COUNTERS_COLLECTION } from '../tickets/ticket-counters';
import { TICKETS_COLLECTION } from '../tickets/ticket.schema';
import { WORKFLOWS_COLLECTION } from '../workflows/workflow.schema';

/**
 * The MongoDB collections one projection runner maintains together (docs/read-models.md "Rebuilding without
 * downtime"). A rebuild writes a complete new set, so the live set keeps serving until the alias switches.
 */
export interface ReadModelCollections {
  readonly tickets: string;
  readonly ticket_counters: string;
  readonly workflows: string;
}

/**
 * One generation of the read models: a set of collections plus the checkpoint (in `projection_checkpoints`)
 * of the runner that maintains them. Generation 1 is the initial set under the plain names (`tickets`,
 * `ticket_counters`, `workflows`, checkpoint `PROJECTION_NAME`); each rebuild creates generation `n + 1`
 * (`tickets_v<n>`, ..., checkpoint `<PROJECTION_NAME>_v<n>`). The number counts rebuilds; it is not the
 * version of the documents' shape.
 */
export interface ReadModelGeneration {
  /** 1, 2, 3... */
  readonly version: number;
  readonly collections: ReadModelCollections;
  /** Checkpoint name of the runner that maintains these collections. */
  readonly checkpoint: string;
}

/**
 * The collections and checkpoint of generation `version` (pure). `projectionName` is config `PROJECTION_NAME`.
 * @throws RangeError when `version` is not a positive integer.
 */
export function readModelGeneration(version: number, projectionName: string): ReadModelGeneration {
  if (!Number.isInteger(version) || version < 1) throw new RangeError(`read model generation ${version} is not a positive integer`);
  if (version === 1) {
    return {
      version,
      collections: { tickets: TICKETS_COLLECTION, ticket_counters: TICKET_COUNTERS_COLLECTION, workflows: WORKFLOWS_COLLECTION },
      checkpoint: projectionName,
    };
  }
  return {
    version,
    collections: {
      tickets: `${TICKETS_COLLECTION}_v${version}`,
      ticket_counters: `${TICKET_COUNTERS_COLLECTION}_v${version}`,
      workflows: `${WORKFLOWS_COLLECTION}_v${version}`,
    },
    checkpoint: `${projectionName}_v${version}`,
  };
}

/**
 * The generation number a collection name belongs to (`tickets` -> 1, `ticket_counters_v3` -> 3), or `null` for
 * a collection that is not part of any generation (pure).
 */
export function generationOfCollection(name: string): number | null {
  const bases = [TICKETS_COLLECTION, TICKET_COUNTERS_COLLECTION, WORKFLOWS_COLLECTION];
  if (bases.includes(name)) return 1;
  const match = /^(.+)_v(\d+)$/.exec(name);
  if (!match || !bases.includes(match[1])) return null;
  const version = Number(match[2]);
  return version >= 2 && Number.isSafeInteger(version) ? version : null;
}

/** True when both describe the same collections and checkpoint. */
export function sameGeneration(a: ReadModelGeneration, b: ReadModelGeneration): boolean {
  return (
    a.version === b.version &&
    a.checkpoint === b.checkpoint &&
    a.collections.tickets === b.collections.tickets &&
    a.collections.ticket_counters === b.collections.ticket_counters &&
    a.collections.workflows === b.collections.workflows
  );
}

/**
 * Where a read model finds its collections: the live generation (through the alias, cached) or a fixed one
 * (a projection runner writing one generation, the rebuild tool).
 */
export interface GenerationSource {
  /** The generation to use now; may read the alias document (cached). @throws the driver's error. */
  current(): Promise<ReadModelGeneration>;
  /** The generation `current()` last returned (no I/O); before the first call, the initial one. */
  last(): ReadModelGeneration;
}

/** A {@link GenerationSource} that always answers `generation` (for writers pinned to one generation). */
export function fixedGeneration(generation: ReadModelGeneration): GenerationSource {
  return { current: () => Promise.resolve(generation), last: () => generation };
}
