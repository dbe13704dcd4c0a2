import type { mongo } from 'mongoose';
import { isDuplicateKeyError } from './mongo.helpers';

/**
 * The revision guard of oskardudycz's samples/decider (ARCHITECTURE.md "Read models": applying an event twice
 * or out of a replay changes nothing). A document stores the stream `revision` of the last event applied to
 * it; the event at revision `r` is applied only to a document at `r - 1` (or inserted when `r` is 0).
 */

/** A document whose `_id` is a string (every read model here keys documents by a readable path). */
export type KeyedDocument = { _id: string } & mongo.Document;

/** A collection of {@link KeyedDocument}s (the native driver collection behind a mongoose model). */
export type KeyedCollection = mongo.Collection<KeyedDocument>;

/** A write to one document: a whole document (insert/replace) or a MongoDB update. */
export type GuardedWrite =
  | { readonly kind: 'insert'; readonly document: KeyedDocument }
  | { readonly kind: 'replace'; readonly document: KeyedDocument }
  | { readonly kind: 'update'; readonly update: mongo.UpdateFilter<KeyedDocument> };

/**
 * What to do with the event at stream `revision` given the stored document's revision (`null` = no
 * document): `apply`; `duplicate` (the document is at or past it: a replay); `gap` (missing, or more than one
 * revision behind: the event cannot be applied in order). Pure.
 */
export function guardDecision(storedRevision: number | null, revision: number): 'apply' | 'duplicate' | 'gap' {
  if (storedRevision !== null && storedRevision >= revision) return 'duplicate';
  if (revision > 0 && (storedRevision === null || storedRevision < revision - 1)) return 'gap';
  return 'apply';
}

/**
 * Performs `write` on the document `_id` under the guard: `insert` (meant for revision 0) treats a
 * duplicate key as a replay; `replace`/`update` only match where `revision == revision - 1`. Resolves
 * `applied` or `duplicate` (nothing matched: a concurrent writer got there first).
 * @throws the driver's error for anything but a duplicate key.
 */
export async function writeGuarded(
  collection: KeyedCollection,
  _id: string,
  revision: number,
  write: GuardedWrite,
): Promise<'applied' | 'duplicate'> {
  if (write.kind === 'insert') {
    try {
      await collection.insertOne(write.document);
      return 'applied';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'duplicate';
      throw error;
    }
  }
  const filter = { _id, revision: revision - 1 };
  const result =
    write.kind === 'replace' ? await collection.replaceOne(filter, write.document) : await collection.updateOne(filter, write.update);
  return result.matchedCount === 0 ? 'duplicate' : 'applied';
}
