import type { Connection, mongo } from 'mongoose';
import { ReadModels, TicketDashboard, TicketSearch, type TicketCriteria } from '@tickets/read-models';
import { runPool } from './pool';
import { finalDocuments, foldCounters, type SeededEvent } from './rebuild';
import { now, ratio, round, summarize, type LatencySummary } from './stats';
import { streamIdOf, ticketEvents, type Templates } from './templates';
import { createRequestBody, SUBPATH } from './workload';

/**
 * The read model at size: the services' live `tickets` collection (and its `ticket_counters`) is grown by
 * bulk insert of realistic documents in a space of its own (built by the projection's own document builder,
 * `ticketWriteFor`, from TicketCreated + TicketProgressed events copied from this run's), and the reads the
 * gateway serves are timed at a small and a large size of that space: a point read by `_id`
 * (`TicketsReadModel.findByKey`, as `GET /managed/entry`), a Dmart search with three filters
 * (`TicketSearch.search`, as `POST /managed/query`), the counters (`TicketDashboard.counters`) and the
 * dashboard summary (`TicketDashboard.summary`), and the read-your-writes wait through the running gateway.
 *
 * The growth documents vary like real tickets: a team tag out of 7, a priority 1..5, half of them started,
 * created over the last 60 days. They are removed at the end (the whole database with `--fresh`).
 */
export interface GrowthConfig {
  readonly connection: Connection;
  readonly templates: Templates;
  /** The growth space (its documents are only these). */
  readonly space: string;
  /** The gateway, the actor's token and the run's space (workflow defined) for read-your-writes commands. */
  readonly gatewayUrl: string;
  readonly token: string;
  readonly commandSpace: string;
}

/** The reads timed at one size. */
export interface GrowthMeasure {
  /** Ticket documents of the growth space. */
  readonly space_documents: number;
  /** Documents of the whole live `tickets` collection (other spaces included). */
  readonly collection_documents: number;
  readonly point_read_ms: LatencySummary | null;
  readonly search_ms: LatencySummary | null;
  /** Matches of the search (its `total`). */
  readonly search_total: number | null;
  readonly counters_ms: LatencySummary | null;
  readonly summary_ms: LatencySummary | null;
  /** A command's result (HTTP answer) -> the gateway's read of the ticket answered with the write seen. */
  readonly read_your_writes_ms: LatencySummary | null;
  /** Reads that timed out waiting (503 "not caught up"), counted with the time waited. */
  readonly read_your_writes_timeouts: number;
  readonly read_your_writes_errors: number;
}

export interface GrowthResult {
  readonly where: string;
  readonly space: string;
  readonly search: { criteria: TicketCriteria; page: { limit: number } };
  /** Bulk inserts: documents, seconds, documents/s (counters rewritten after each step). */
  readonly inserts: { documents: number; seconds: number; per_s: number }[];
  readonly small: GrowthMeasure;
  readonly large: GrowthMeasure;
  /** p50 at the large size / p50 at the small size, per read. */
  readonly ratios: {
    readonly point_read: number | null;
    readonly search: number | null;
    readonly counters: number | null;
    readonly summary: number | null;
    readonly read_your_writes: number | null;
  };
  /** Growth documents removed at the end (`false` with `--fresh`: the database is dropped). */
  readonly removed: boolean;
}

const CHUNK = 1000;
const DAY_S = 86_400;

export class Growth {
  private readonly models: ReadModels;
  private readonly search: TicketSearch;
  private readonly dashboard: TicketDashboard;
  private readonly counts = new Map<string, mongo.Document>();
  private readonly recordedAt = new Date().toISOString();
  private documents = 0;
  private rywSeq = 0;
  /** The search with three filters: a tag, a state and a priority range, newest first, a page of 10. */
  readonly criteria: TicketCriteria;

  constructor(private readonly config: GrowthConfig) {
    this.models = new ReadModels(config.connection);
    this.search = new TicketSearch(this.models.tickets);
    this.dashboard = new TicketDashboard(this.models.tickets);
    this.criteria = {
      space_name: config.space,
      filter_tags: ['team3'],
      search: '@state:in_progress @payload.body.priority:>=3',
    };
  }

  /** The read model's own index creation on the live generation (idempotent). */
  async ensureIndexes(): Promise<void> {
    await this.models.ensureIndexes();
  }

  /** The events of growth ticket `k`: a created ticket, started when `k` is even. */
  private eventsOf(k: number): SeededEvent[] {
    const t = this.config.templates.templates;
    const shortname = `g${k.toString(36)}`;
    const stream = streamIdOf(this.config.space, shortname);
    const [created, progressed] = ticketEvents(t[k % t.length], this.config.space, shortname);
    const at = new Date(Date.now() - ((k * 7919) % (60 * DAY_S)) * 1000).toISOString();
    const data = created.data as Record<string, unknown>;
    const payload = (data['payload'] ?? {}) as Record<string, unknown>;
    const body = (payload['body'] ?? {}) as Record<string, unknown>;
    const create = {
      ...created,
      data: {
        ...data,
        created_at: at,
        tags: ['bench', `team${k % 7}`],
        payload: { ...payload, body: { ...body, priority: 1 + (k % 5) } },
      },
      metadata: { ...created.metadata, occurred_at: at },
    } as typeof created;
    const events: SeededEvent[] = [{ stream, revision: 0, position: 2 * k + 1, event: create }];
    if (k % 2 === 0) {
      const progress = {
        ...progressed,
        data: { ...(progressed.data as Record<string, unknown>), at },
        metadata: { ...progressed.metadata, occurred_at: at },
      } as typeof progressed;
      events.push({ stream, revision: 1, position: 2 * k + 2, event: progress });
    }
    return events;
  }

  /** Inserts growth documents until the space holds `size` (chunks of 1000, two in flight), then its counters. */
  async growTo(size: number): Promise<{ documents: number; seconds: number; per_s: number }> {
    const { tickets, counters } = await this.models.tickets.live();
    const from = this.documents;
    const chunks = Math.ceil(Math.max(0, size - from) / CHUNK);
    const start = now();
    await runPool(chunks, 2, Number.POSITIVE_INFINITY, async (c) => {
      const first = from + c * CHUNK;
      const count = Math.min(CHUNK, size - first);
      const events = Array.from({ length: count }, (_, j) => this.eventsOf(first + j)).flat();
      const docs = finalDocuments(events, this.recordedAt);
      foldCounters(this.counts, docs);
      await tickets.collection.insertMany(docs as unknown as mongo.Document[], { ordered: false });
      return docs.length;
    });
    this.documents = Math.max(this.documents, size);
    await counters.collection.deleteMany({ space_name: this.config.space });
    if (this.counts.size > 0)
      await counters.collection.insertMany([...this.counts.values()], { ordered: false });
    const seconds = (now() - start) / 1000;
    return { documents: size - from, seconds: round(seconds), per_s: round((size - from) / seconds, 1) };
  }

  /** Times every read at the current size. */
  async measure(n: {
    point_reads: number;
    searches: number;
    counters_reads: number;
    summaries: number;
    read_your_writes: number;
  }): Promise<GrowthMeasure> {
    const { tickets } = await this.models.tickets.live();
    const timed = async (count: number, read: (i: number) => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const t = now();
        await read(i);
        samples.push(now() - t);
      }
      return summarize(samples);
    };
    await this.search.search(this.criteria, { limit: 10 }); // the first query plans; not timed
    const point_read_ms = await timed(n.point_reads, () => {
      const k = Math.floor(Math.random() * this.documents);
      return this.models.tickets.findByKey(this.config.space, SUBPATH, `g${k.toString(36)}`);
    });
    let search_total: number | null = null;
    const search_ms = await timed(n.searches, async () => {
      search_total = (await this.search.search(this.criteria, { limit: 10 })).total;
    });
    const counters_ms = await timed(n.counters_reads, () => this.dashboard.counters(this.config.space));
    const summary_ms = await timed(n.summaries, () =>
      this.dashboard.summary(this.config.space, { now: new Date() }),
    );
    const ryw = await this.readYourWrites(n.read_your_writes);
    return {
      space_documents: this.documents,
      collection_documents: await tickets.estimatedDocumentCount(),
      point_read_ms,
      search_ms,
      search_total,
      counters_ms,
      summary_ms,
      read_your_writes_ms: summarize(ryw.samples),
      read_your_writes_timeouts: ryw.timeouts,
      read_your_writes_errors: ryw.errors,
    };
  }

  /**
   * `count` commands one after another through the gateway (a create in the run's space), each followed at
   * once by the gateway's read of that ticket with `min_position` = the answer's position: the gateway
   * waits (READ_YOUR_WRITES_TIMEOUT_MS) until the document shows `last_position >= position`. Sample =
   * read answered - command answered.
   */
  private async readYourWrites(
    count: number,
  ): Promise<{ samples: number[]; timeouts: number; errors: number }> {
    const { gatewayUrl, token, commandSpace } = this.config;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const samples: number[] = [];
    let timeouts = 0;
    let errors = 0;
    for (let i = 0; i < count; i++) {
      const shortname = `ryw${(this.rywSeq++).toString(36)}`;
      try {
        const created = await fetch(`${gatewayUrl}/managed/request`, {
          method: 'POST',
          headers,
          body: createRequestBody(commandSpace, shortname),
          signal: AbortSignal.timeout(30_000),
        });
        const answer = (await created.json()) as { records?: { attributes?: { position?: string } }[] };
        const resultAt = now();
        if (created.status !== 200) {
          errors++;
          continue;
        }
        const position = answer.records?.[0]?.attributes?.position;
        const read = await fetch(
          `${gatewayUrl}/managed/entry/ticket/${commandSpace}/${SUBPATH}/${shortname}${position ? `?min_position=${position}` : ''}`,
          { headers, signal: AbortSignal.timeout(30_000) },
        );
        await read.arrayBuffer();
        const seenAt = now();
        if (read.status === 200) samples.push(seenAt - resultAt);
        else if (read.status === 503) {
          timeouts++;
          samples.push(seenAt - resultAt);
        } else errors++;
      } catch {
        errors++;
      }
    }
    return { samples, timeouts, errors };
  }

  /** Removes the growth space's documents and counters from the live collections. */
  async remove(): Promise<void> {
    const { tickets, counters } = await this.models.tickets.live();
    await tickets.collection.deleteMany({ space_name: this.config.space });
    await counters.collection.deleteMany({ space_name: this.config.space });
  }
}

/** p50 at the large size over p50 at the small one, per read. */
export function growthRatios(small: GrowthMeasure, large: GrowthMeasure): GrowthResult['ratios'] {
  const r = (pick: (m: GrowthMeasure) => LatencySummary | null) => {
    const v = ratio(pick(large)?.p50, pick(small)?.p50);
    return v === null ? null : round(v, 2);
  };
  return {
    point_read: r((m) => m.point_read_ms),
    search: r((m) => m.search_ms),
    counters: r((m) => m.counters_ms),
    summary: r((m) => m.summary_ms),
    read_your_writes: r((m) => m.read_your_writes_ms),
  };
}
