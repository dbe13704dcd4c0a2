import { createHash } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import type { ReadModelCollections, ReadModelGeneration } from './read-model-generation';

/**
 * A canonical text of a BSON value as the driver returns it (pure): object keys sorted (key order in a
 * document depends on the order of past `$set`s, not on its content), arrays in order, dates and other BSON
 * types tagged so they never equal a string. Two documents with the same content give the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : `{"$number":${JSON.stringify(String(value))}}`;
    case 'bigint':
      return `{"$long":"${value.toString()}"}`;
    case 'object':
      break;
    default:
      return JSON.stringify(String(value));
  }
  if (value instanceof Date) return `{"$date":${JSON.stringify(Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString())}}`;
  if (Buffer.isBuffer(value)) return `{"$binary":"${value.toString('base64')}"}`;
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsonType === 'string') {
    const text =
      bsonType === 'Binary'
        ? Buffer.from((value as { buffer: Uint8Array }).buffer).toString('base64')
        : bsonType === 'ObjectId'
          ? (value as { toHexString(): string }).toHexString()
          : String(value);
    return `{"$${bsonType}":${JSON.stringify(text)}}`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** The content hash of one collection: SHA-256 (hex) over its documents in `_id` order, and their number. */
export interface CollectionContentHash {
  readonly collection: string;
  readonly count: number;
  readonly sha256: string;
}

/**
 * Hashes every document of `collection` (nothing left out: every field of a read model document is derived
 * from the events, none from the wall clock), sorted by `_id`, each as {@link canonicalJson} plus a newline.
 */
export async function collectionContentHash(collection: mongo.Collection<mongo.Document>): Promise<CollectionContentHash> {
  const hash = createHash('sha256');
  let count = 0;
  for await (const doc of collection.find({}).sort({ _id: 1 }).batchSize(1000)) {
    hash.update(canonicalJson(doc));
    hash.update('\n');
    count += 1;
  }
  return { collection: collection.collectionName, count, sha256: hash.digest('hex') };
}

/** The content hash of a generation: one per collection, and `sha256` over the three (names excluded). */
export interface GenerationContentHash {
  readonly version: number;
  readonly collections: { readonly [K in keyof ReadModelCollections]: CollectionContentHash };
  readonly sha256: string;
}

/**
 * The content hash of every collection of `generation` (docs/read-models.md "Rebuilding without downtime":
 * a rebuilt generation equals the live one at the same position). Compare two generations only when both
 * runners stand at the same checkpoint.
 */
export async function generationContentHash(connection: Connection, generation: ReadModelGeneration): Promise<GenerationContentHash> {
  const of = (name: string) => collectionContentHash(connection.collection(name) as unknown as mongo.Collection<mongo.Document>);
  const collections = {
    tickets: await of(generation.collections.tickets),
    ticket_counters: await of(generation.collections.ticket_counters),
    workflows: await of(generation.collections.workflows),
  };
  const sha256 = createHash('sha256')
    .update([collections.tickets, collections.ticket_counters, collections.workflows].map((c) => `${c.count}:${c.sha256}`).join('\n'))
    .digest('hex');
  return { version: generation.version, collections, sha256 };
}
