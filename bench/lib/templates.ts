import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { NewEvent, RecordedEvent } from '@tickets/event-store';
import { SUBPATH } from './workload';

/**
 * "The same events": the baseline and the rebuild write copies of the events the pipeline itself recorded
 * during this run (a ticket's `TicketCreated` and its `TicketProgressed`), read back from the event store
 * and re-keyed to fresh tickets. Only when none can be read (the end-to-end phase was skipped or failed) do
 * they fall back to a synthetic pair of the same shape.
 */
export interface StoredEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

export interface EventTemplate {
  readonly created: StoredEvent;
  readonly progressed: StoredEvent;
}

export interface Templates {
  readonly source: 'captured' | 'synthetic';
  readonly templates: readonly EventTemplate[];
  /** Mean JSON size of data + metadata, bytes, per event type. */
  readonly bytes: { readonly created: number; readonly progressed: number };
}

/** Reads up to `max` (TicketCreated, TicketProgressed) pairs of `space` from the live event store. */
export async function captureTemplates(
  pgUrl: string,
  schema: string,
  space: string | null,
  max = 200,
): Promise<Templates> {
  let templates: EventTemplate[] = [];
  if (space) {
    const client = new Client({ connectionString: pgUrl });
    try {
      await client.connect();
      const { rows } = await client.query<{
        stream_id: string;
        revision: string;
        type: string;
        data: Record<string, unknown>;
        metadata: Record<string, unknown>;
      }>(
        `SELECT stream_id, revision, type, data, metadata FROM "${schema}".events
          WHERE stream_id LIKE $1 AND revision <= 1 ORDER BY position LIMIT $2`,
        [`ticket-${space}/${SUBPATH}/%`, max * 4],
      );
      const byStream = new Map<string, Partial<{ created: StoredEvent; progressed: StoredEvent }>>();
      for (const row of rows) {
        const entry = byStream.get(row.stream_id) ?? {};
        const event = { type: row.type, data: row.data, metadata: row.metadata };
        if (row.type === 'TicketCreated' && row.revision === '0') entry.created = event;
        if (row.type === 'TicketProgressed' && row.revision === '1') entry.progressed = event;
        byStream.set(row.stream_id, entry);
      }
      templates = [...byStream.values()]
        .filter((e): e is EventTemplate => Boolean(e.created && e.progressed))
        .slice(0, max);
    } catch {
      templates = [];
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const source = templates.length > 0 ? 'captured' : 'synthetic';
  if (templates.length === 0) templates = [syntheticTemplate()];
  const size = (pick: (t: EventTemplate) => StoredEvent) =>
    Math.round(
      templates.reduce(
        (s, t) => s + JSON.stringify(pick(t).data).length + JSON.stringify(pick(t).metadata).length,
        0,
      ) / templates.length,
    );
  return {
    source,
    templates,
    bytes: { created: size((t) => t.created), progressed: size((t) => t.progressed) },
  };
}

/** A TicketCreated + TicketProgressed pair shaped like the domain's (libs/domain/src/ticket/ticket.events.ts). */
export function syntheticTemplate(): EventTemplate {
  const at = new Date().toISOString();
  const metadata = {
    actor: 'bench_agent',
    command_id: randomUUID(),
    occurred_at: at,
    causation_id: randomUUID(),
    correlation_id: randomUUID(),
  };
  return {
    created: {
      type: 'TicketCreated',
      data: {
        space_name: 'synthetic',
        subpath: SUBPATH,
        shortname: 'synthetic',
        uuid: randomUUID(),
        tags: ['bench'],
        state: 'draft',
        is_open: true,
        is_active: true,
        payload: {
          body: { priority: 3, summary: 'printer on fire' },
          content_type: 'json',
          schema_shortname: 'schema',
        },
        reporter: { name: 'Foo Bar', type: 'admin_lite', msisdn: '1111111111', channel: 'HQTest' },
        collaborators: {},
        created_at: at,
        owner_shortname: 'bench_agent',
        workflow_version: 1,
        workflow_shortname: 'support',
      },
      metadata,
    },
    progressed: {
      type: 'TicketProgressed',
      data: {
        action: 'start',
        from_state: 'draft',
        state: 'in_progress',
        is_open: true,
        resolution_reason: null,
        actor: 'bench_agent',
        at,
      },
      metadata,
    },
  };
}

export function streamIdOf(space: string, shortname: string): string {
  return `ticket-${space}/${SUBPATH}/${shortname}`;
}

/** The pair of `template` re-keyed to ticket `space/tickets/shortname`, with fresh event and command ids. */
export function ticketEvents(
  template: EventTemplate,
  space: string,
  shortname: string,
): [NewEvent, NewEvent] {
  const meta = (m: Record<string, unknown>) => {
    const command_id = randomUUID();
    return {
      ...m,
      command_id,
      correlation_id: command_id,
      causation_id: command_id,
    } as unknown as NewEvent['metadata'];
  };
  const created = template.created.data;
  return [
    {
      id: randomUUID(),
      type: template.created.type,
      data: { ...created, space_name: space, subpath: SUBPATH, shortname, uuid: randomUUID() },
      metadata: meta(template.created.metadata),
    },
    {
      id: randomUUID(),
      type: template.progressed.type,
      data: { ...template.progressed.data },
      metadata: meta(template.progressed.metadata),
    },
  ];
}

/** `event` as read back from the store (for the read models' pure write functions). */
export function asRecorded(
  event: NewEvent,
  streamId: string,
  revision: number,
  position: number,
  recordedAt: string,
): RecordedEvent {
  return {
    ...event,
    stream_id: streamId,
    revision: BigInt(revision),
    position: BigInt(position),
    recorded_at: recordedAt,
  };
}
