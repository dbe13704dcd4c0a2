import type { mongo } from 'mongoose';
import { streamIds } from '@tickets/contracts';
import { evolveTicket, initialTicketState, type TicketEvent, type TicketState } from '@tickets/domain';
import type { EventStore, RecordedEvent } from '@tickets/event-store';
import { countedFactsOf, counterContributions } from '@tickets/read-models';
import { FINAL_STATE, TICKET_STEPS, type CommandRecord } from './workload';

/** What the campaign found, ticket by ticket and command by command. */
export interface Findings {
  readonly commands: number;
  readonly succeeded: number;
  readonly rejected: number;
  readonly unanswered: number;
  /** Commands answered `succeeded` whose event is missing from the ticket's stream. */
  readonly lost: number;
  /** Events beyond one per command (a command applied twice). */
  readonly duplicated: number;
  /** Commands whose answers differ between deliveries (byte for byte). */
  readonly differing_answers: number;
  /** Commands answered more than once (duplicate deliveries seen by the sender). */
  readonly repeated_answers: number;
  /** Tickets whose read model document differs from the fold of their stream (state, is_open, revision). */
  readonly read_model_mismatches: number;
  /** Counter documents differing from counts over the ticket documents. */
  readonly counter_mismatches: number;
  /** Tickets not in their final state in the event store (their commands were lost or refused). */
  readonly incomplete_tickets: number;
  /** The first few problems, for the report. */
  readonly examples: string[];
}

/**
 * Checks the campaign's outcome from the event store (the source of truth) and the read model:
 * - every ticket's stream holds exactly one `TicketCreated` and one `TicketProgressed` per transition, each
 *   caused by a distinct command (else lost or duplicated);
 * - every command's answers are identical across deliveries;
 * - the `tickets` document of each ticket equals the fold of its stream with the domain's own `evolve`
 *   (state, is_open, revision), and each `ticket_counters` document of the space equals the counts recomputed
 *   from the ticket documents.
 */
export async function verify(
  store: EventStore,
  readModel: { tickets: mongo.Collection<mongo.Document>; counters: mongo.Collection<mongo.Document> },
  space: string,
  tickets: readonly string[],
  records: readonly CommandRecord[],
): Promise<Findings> {
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < 12) examples.push(text);
  };
  let lost = 0;
  let duplicated = 0;
  let incomplete = 0;
  let mismatches = 0;
  const byTicket = new Map<string, CommandRecord[]>();
  for (const record of records) byTicket.set(record.ticket, [...(byTicket.get(record.ticket) ?? []), record]);

  const docs = new Map<string, mongo.Document>();
  for await (const doc of readModel.tickets.find({ space_name: space })) docs.set(String(doc.shortname), doc);

  for (const shortname of tickets) {
    const events: RecordedEvent[] = await store.readStream(
      streamIds.ticket({ space_name: space, subpath: 'tickets', shortname }),
    );
    const commandIds = events.map((e) => e.metadata.command_id);
    const distinct = new Set(commandIds);
    duplicated += commandIds.length - distinct.size;
    if (commandIds.length !== distinct.size)
      note(`${shortname}: ${commandIds.length - distinct.size} command(s) applied twice`);
    const expected = ['TicketCreated', ...TICKET_STEPS.slice(1).map(() => 'TicketProgressed')];
    const succeededSteps = (byTicket.get(shortname) ?? []).filter((r) => r.outcome === 'succeeded').length;
    const applied = distinct.size;
    if (applied < succeededSteps) {
      lost += succeededSteps - applied;
      note(`${shortname}: ${succeededSteps} commands answered succeeded, ${applied} applied`);
    }
    const state = events.reduce<TicketState>(
      (s, e) => evolveTicket(s, { type: e.type, data: e.data } as unknown as TicketEvent),
      initialTicketState(),
    );
    const finalState = state.status === 'active' ? state : null;
    if (events.length !== expected.length || finalState?.state !== FINAL_STATE.state) {
      incomplete += 1;
      note(
        `${shortname}: stream ${events.map((e) => e.type).join(',') || '(empty)'}; state ${finalState?.state ?? state.status}`,
      );
    }
    const doc = docs.get(shortname);
    const revision = events.length - 1;
    if (events.length > 0) {
      const same =
        doc &&
        doc.state === finalState?.state &&
        doc.is_open === finalState?.is_open &&
        Number(doc.revision) === revision;
      if (!same) {
        mismatches += 1;
        note(
          `${shortname}: read model ${doc ? `${doc.state}/${doc.is_open}/r${doc.revision}` : 'missing'} vs replay ${finalState?.state}/${finalState?.is_open}/r${revision}`,
        );
      }
    }
  }

  const expectedCounters = new Map<string, { open: number; closed: number }>();
  for (const doc of docs.values()) {
    const facts = countedFactsOf(doc as Parameters<typeof countedFactsOf>[0]);
    if (!facts) continue;
    for (const c of counterContributions(facts)) {
      const sum = expectedCounters.get(c._id) ?? { open: 0, closed: 0 };
      expectedCounters.set(c._id, { open: sum.open + c.open, closed: sum.closed + c.closed });
    }
  }
  let counterMismatches = 0;
  const seen = new Set<string>();
  for await (const counter of readModel.counters.find({ space_name: space })) {
    const id = String(counter._id);
    seen.add(id);
    const want = expectedCounters.get(id) ?? { open: 0, closed: 0 };
    if (Number(counter.open) !== want.open || Number(counter.closed) !== want.closed) {
      counterMismatches += 1;
      note(`counter ${id}: ${counter.open}/${counter.closed} vs ${want.open}/${want.closed} recomputed`);
    }
  }
  for (const [id, want] of expectedCounters) {
    if (!seen.has(id) && (want.open || want.closed)) {
      counterMismatches += 1;
      note(`counter ${id} missing (expected ${want.open}/${want.closed})`);
    }
  }

  let differing = 0;
  let repeated = 0;
  for (const record of records) {
    if (record.answers.length > 1) repeated += 1;
    if (new Set(record.answers).size > 1) {
      differing += 1;
      note(`${record.path} command ${record.command_id}: ${new Set(record.answers).size} different answers`);
    }
  }
  return {
    commands: records.length,
    succeeded: records.filter((r) => r.outcome === 'succeeded').length,
    rejected: records.filter((r) => r.outcome === 'rejected').length,
    unanswered: records.filter((r) => r.outcome === 'unanswered').length,
    lost,
    duplicated,
    differing_answers: differing,
    repeated_answers: repeated,
    read_model_mismatches: mismatches,
    counter_mismatches: counterMismatches,
    incomplete_tickets: incomplete,
    examples,
  };
}
