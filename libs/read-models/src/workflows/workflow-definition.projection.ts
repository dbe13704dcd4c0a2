import type { mongo } from 'mongoose';
import type { WorkflowDefined } from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';
import type { ApplyOutcome, Projection } from '../projection';
import { toDate, toSafeNumber } from '../shared/mongo.helpers';
import { guardDecision, writeGuarded, type GuardedWrite, type KeyedCollection, type KeyedDocument } from '../shared/revision-guard';
import { encodeUserData } from '../shared/user-data.codec';

/** Stream category of workflow streams (`streamIds.workflow` in @tickets/contracts). */
export const WORKFLOW_STREAM_CATEGORY = 'workflow';
const WORKFLOW_STREAM_PREFIX = `${WORKFLOW_STREAM_CATEGORY}-`;

/**
 * Space and shortname of a workflow stream id `workflow-<space>/<shortname>` (`streamIds.workflow`).
 * @throws RangeError when `streamId` is not a workflow stream id.
 */
export function workflowKeyOf(streamId: string): { readonly space_name: string; readonly shortname: string } {
  const rest = streamId.startsWith(WORKFLOW_STREAM_PREFIX) ? streamId.slice(WORKFLOW_STREAM_PREFIX.length) : '';
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) throw new RangeError(`not a workflow stream id: ${streamId}`);
  return { space_name: rest.slice(0, slash), shortname: rest.slice(slash + 1) };
}

/**
 * The write of one workflow-stream event (pure). `WorkflowDefined` inserts the document at revision 0 and
 * replaces definition, version and texts afterwards (each definition is complete, TICKETS.md section 2);
 * any other event type only advances `revision`/`last_position`.
 * @throws RangeError for a non-workflow stream id or a revision/position beyond 2^53 - 1.
 */
export function workflowWriteFor(event: RecordedEvent): GuardedWrite {
  const key = workflowKeyOf(event.stream_id);
  const revision = toSafeNumber(event.revision, 'revision');
  const last_position = toSafeNumber(event.position);
  if (event.type !== 'WorkflowDefined') return { kind: 'update', update: { $set: { revision, last_position } } };
  const data = event.data as WorkflowDefined['data'];
  const updated_at = toDate(event.metadata?.occurred_at ?? data.at, event.recorded_at);
  const texts = {
    displayname: encodeUserData(data.displayname),
    description: encodeUserData(data.description),
  };
  const defined = { version: data.version, definition: encodeUserData(data.definition), updated_at, revision, last_position };
  if (revision === 0) {
    const document: KeyedDocument = { _id: `${key.space_name}/${key.shortname}`, ...key, ...defined, created_at: updated_at };
    for (const [name, value] of Object.entries(texts)) if (value !== undefined) document[name] = value;
    return { kind: 'insert', document };
  }
  const set: mongo.Document = { ...defined };
  const unset: mongo.Document = {};
  for (const [name, value] of Object.entries(texts)) {
    if (value === undefined) unset[name] = '';
    else set[name] = value;
  }
  return { kind: 'update', update: Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set } };
}

/** The `workflows` projection: latest definition per workflow, under the revision guard (see shared/revision-guard.ts). */
export class WorkflowDefinitionProjection implements Projection {
  readonly name = 'workflows';
  readonly categories = [WORKFLOW_STREAM_CATEGORY] as const;

  constructor(private readonly workflows: KeyedCollection) {}

  async apply(event: RecordedEvent): Promise<ApplyOutcome> {
    const key = workflowKeyOf(event.stream_id);
    const id = `${key.space_name}/${key.shortname}`;
    const revision = toSafeNumber(event.revision, 'revision');
    const before = await this.workflows.findOne({ _id: id }, { projection: { revision: 1 } });
    const decision = guardDecision(before ? (before.revision as number) : null, revision);
    if (decision !== 'apply') return decision;
    const write = workflowWriteFor(event);
    if (!before && write.kind === 'update') return 'ignored';
    const outcome = await writeGuarded(this.workflows, id, revision, write);
    if (outcome === 'duplicate') return outcome;
    return event.type === 'WorkflowDefined' ? 'applied' : 'ignored';
  }

  /** Marks the workflow's document `parked: true` (not current), or removes the mark. */
  async markParked(stream_id: string, parked: boolean): Promise<void> {
    const key = workflowKeyOf(stream_id);
    await this.workflows.updateOne({ _id: `${key.space_name}/${key.shortname}` }, parked ? { $set: { parked: true } } : { $unset: { parked: '' } });
  }
}
