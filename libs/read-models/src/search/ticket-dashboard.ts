import type { FilterQuery } from 'mongoose';
import type { CounterDimension, TicketCounterDocument } from '../tickets/ticket-counters';
import { DASHBOARD_CREATED_INDEX, type TicketDocument } from '../tickets/ticket.schema';
import type { TicketsReadModel } from '../tickets/tickets.read-model';

/** Open and closed live tickets (one counter of `ticket_counters`, docs/read-models.md). */
export interface OpenClosed {
  readonly open: number;
  readonly closed: number;
}

/**
 * The dashboard counters of one space, from `ticket_counters` (ARCHITECTURE.md "Read models": kept
 * incrementally, so reading them is one small indexed query, never a scan of `tickets`): all live tickets, and
 * per state, per assignee (`owner`), per team (`group`) and per workflow. Counters at zero are left out.
 */
export interface TicketCounterSummary {
  readonly all: OpenClosed;
  readonly state: Readonly<Record<string, OpenClosed>>;
  readonly owner: Readonly<Record<string, OpenClosed>>;
  readonly group: Readonly<Record<string, OpenClosed>>;
  readonly workflow: Readonly<Record<string, OpenClosed>>;
}

/** Age buckets of open tickets, by `created_at`: `<1d`, `1-7d`, `7-30d`, `>30d` (boundaries in whole days). */
export type AgeBucket = '<1d' | '1-7d' | '7-30d' | '>30d';

/** Tickets created and closed on one UTC day. */
export interface DayActivity {
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
  /** Live tickets whose `created_at` falls on this day. */
  readonly created: number;
  /** Tickets closed now whose closing falls on this day (see {@link DashboardSummary.closed_basis}). */
  readonly closed: number;
}

/** `GET /dashboards/{space}/summary` (docs/query-api.md). */
export interface DashboardSummary {
  readonly space_name: string;
  /** The instant the summary was computed for (ISO-8601). */
  readonly generated_at: string;
  readonly counters: TicketCounterSummary;
  /** Open live tickets per age bucket. */
  readonly open_age: Readonly<Record<AgeBucket, number>>;
  /** The last `days` UTC days, oldest first, today (partial) last. */
  readonly per_day: readonly DayActivity[];
  /**
   * How `closed` per day is dated: by the ticket's `closed_at` where the read model has one, otherwise by its
   * `updated_at` (the last attribute change, normally the closing transition; a later update or assignment of
   * a closed ticket moves it to that later day).
   */
  readonly closed_basis: 'closed_at, else updated_at';
}

/** Options of {@link TicketDashboard.summary}. */
export interface SummaryOptions {
  /** "Now" (the caller's clock; tests pass a fixed instant). */
  readonly now: Date;
  /** Days of `per_day`, 1..90; default 14. */
  readonly days?: number;
}

/** Most days `per_day` covers. */
export const MAX_SUMMARY_DAYS = 90;

const DAY_MS = 86_400_000;
/** Count queries run at once by a summary (each is one indexed `countDocuments`). */
const CONCURRENCY = 8;

/**
 * The dashboard counters of `space_name` from their documents (pure): grouped by dimension, zero counters
 * dropped. Keys are the states, users, teams and workflows as stored.
 */
export function summarizeCounters(counters: readonly TicketCounterDocument[]): TicketCounterSummary {
  const by = (dimension: CounterDimension) =>
    Object.fromEntries(
      counters
        .filter((c) => c.dimension === dimension && (c.open !== 0 || c.closed !== 0))
        .map((c) => [c.key, { open: c.open, closed: c.closed }]),
    );
  const all = counters.find((c) => c.dimension === 'all');
  return {
    all: { open: all?.open ?? 0, closed: all?.closed ?? 0 },
    state: by('state'),
    owner: by('owner'),
    group: by('group'),
    workflow: by('workflow'),
  };
}

/**
 * Dashboard reads of one space: the incrementally kept counters (O(1): one indexed read of `ticket_counters`)
 * and a summary that adds open-ticket ages and per-day activity. The summary's figures are `countDocuments`
 * over bounded time windows, a fixed number per summary (3 + 2 x days): open tickets younger than 30 days and
 * tickets created per day are counted on an index that covers them (`DASHBOARD_CREATED_INDEX`: index entries
 * only, no document reads), closings per day on `{space_name, is_open, closed_at, updated_at}`; the oldest age
 * bucket (`>30d`, the one that grows with the space's history) is the open counter minus the younger buckets.
 * So the cost follows the tickets of the last 30 days, not the size of the read model.
 */
export class TicketDashboard {
  constructor(private readonly tickets: TicketsReadModel) {}

  /** The counters of `space_name` (see {@link TicketCounterSummary}). */
  async counters(space_name: string): Promise<TicketCounterSummary> {
    return summarizeCounters(await this.tickets.counts(space_name));
  }

  /** The summary of `space_name` at `options.now` (see {@link DashboardSummary}). */
  async summary(space_name: string, options: SummaryOptions): Promise<DashboardSummary> {
    const now = options.now.getTime();
    const days = Math.max(1, Math.min(MAX_SUMMARY_DAYS, Math.trunc(options.days ?? 14)));
    const ago = (n: number) => new Date(now - n * DAY_MS);
    const open = (created_at: Record<string, Date>): FilterQuery<TicketDocument> => ({ space_name, is_open: true, created_at });
    const ageQueries: [AgeBucket, FilterQuery<TicketDocument>][] = [
      ['<1d', open({ $gt: ago(1) })],
      ['1-7d', open({ $gt: ago(7), $lte: ago(1) })],
      ['7-30d', open({ $gt: ago(30), $lte: ago(7) })],
    ];
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const dayStarts = Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY_MS);
    const dayQueries = dayStarts.flatMap((start): FilterQuery<TicketDocument>[] => {
      const day = { $gte: new Date(start), $lt: new Date(start + DAY_MS) };
      return [
        { space_name, created_at: day },
        {
          space_name,
          is_open: false,
          $or: [{ closed_at: day }, { closed_at: { $exists: false }, updated_at: day }],
        },
      ];
    });
    // The planner may prefer `{created_at: 1}` (fetching every ticket counted): the hint keeps these counts
    // covered. Closings (`is_open: false`) are left to the planner: their `$or` takes one index scan per branch.
    const hint = (q: FilterQuery<TicketDocument>) => (q['is_open'] === false ? undefined : { ...DASHBOARD_CREATED_INDEX });
    const [counters, counts] = await Promise.all([
      this.counters(space_name),
      mapLimit([...ageQueries.map(([, q]) => q), ...dayQueries], CONCURRENCY, (q) => this.tickets.count(q, { hint: hint(q) })),
    ]);
    const ageCounts = counts.slice(0, ageQueries.length);
    const dayCounts = counts.slice(ageQueries.length);
    // Every open live ticket is in exactly one bucket and `all.open` counts the same tickets (the counters are
    // written in the documents' transaction); `max` only guards against a write landing between the two reads.
    const younger = ageCounts.reduce((sum, n) => sum + n, 0);
    const open_age = {
      ...Object.fromEntries(ageQueries.map(([bucket], i) => [bucket, ageCounts[i]])),
      '>30d': Math.max(0, counters.all.open - younger),
    } as Record<AgeBucket, number>;
    return {
      space_name,
      generated_at: options.now.toISOString(),
      counters,
      open_age,
      per_day: dayStarts.map((start, i) => ({
        date: new Date(start).toISOString().slice(0, 10),
        created: dayCounts[2 * i],
        closed: dayCounts[2 * i + 1],
      })),
      closed_basis: 'closed_at, else updated_at',
    };
  }
}

/** Tickets created and closed in one hour (UTC). */
export interface HourActivity {
  /** Start of the hour, ISO-8601 (`YYYY-MM-DDTHH:00:00.000Z`). */
  readonly hour: string;
  readonly created: number;
  /** Dated as {@link DashboardSummary.closed_basis}. */
  readonly closed: number;
}

/** `GET /dashboards/{space}/activity` (docs/query-api.md): open-ticket ages and hourly throughput. */
export interface DashboardActivity {
  readonly space_name: string;
  readonly generated_at: string;
  /** Open live tickets by age of `created_at`, finest first (see {@link ACTIVITY_AGE_BUCKETS}). */
  readonly open_age: readonly { readonly bucket: string; readonly count: number }[];
  /** The last `hours` hours, oldest first, the current (partial) hour last. */
  readonly per_hour: readonly HourActivity[];
  readonly closed_basis: 'closed_at, else updated_at';
}

/** Most hours `per_hour` covers (a week). */
export const MAX_ACTIVITY_HOURS = 168;

const HOUR_MS = 3_600_000;

/** Age buckets of {@link TicketDashboard.activity}: label and upper bound of the age in ms (the last is open). */
export const ACTIVITY_AGE_BUCKETS: readonly { readonly bucket: string; readonly below: number }[] = [
  { bucket: '<1h', below: HOUR_MS },
  { bucket: '1-4h', below: 4 * HOUR_MS },
  { bucket: '4-24h', below: DAY_MS },
  { bucket: '1-7d', below: 7 * DAY_MS },
  { bucket: '7-30d', below: 30 * DAY_MS },
  { bucket: '>30d', below: Number.POSITIVE_INFINITY },
];

/**
 * The open-ticket ages in {@link ACTIVITY_AGE_BUCKETS} and the tickets created and closed per hour over the
 * last `hours` hours (1..168, default 24) of `space_name` at `now`. Each figure is one `countDocuments` on
 * indexed fields, as {@link TicketDashboard.summary}: 6 + 2 x hours of them, at most 8 at a time.
 */
export async function dashboardActivity(
  tickets: TicketsReadModel,
  space_name: string,
  options: { readonly now: Date; readonly hours?: number },
): Promise<DashboardActivity> {
  const now = options.now.getTime();
  const hours = Math.max(1, Math.min(MAX_ACTIVITY_HOURS, Math.trunc(options.hours ?? 24)));
  const ageQueries = ACTIVITY_AGE_BUCKETS.map(({ below }, i): FilterQuery<TicketDocument> => {
    const above = i === 0 ? 0 : ACTIVITY_AGE_BUCKETS[i - 1].below;
    const created_at: Record<string, Date> = { $lte: new Date(now - above) };
    if (Number.isFinite(below)) created_at.$gt = new Date(now - below);
    return { space_name, is_open: true, created_at };
  });
  const thisHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const hourStarts = Array.from({ length: hours }, (_, i) => thisHour - (hours - 1 - i) * HOUR_MS);
  const hourQueries = hourStarts.flatMap((start): FilterQuery<TicketDocument>[] => {
    const hour = { $gte: new Date(start), $lt: new Date(start + HOUR_MS) };
    return [
      { space_name, created_at: hour },
      {
        space_name,
        is_open: false,
        $or: [{ closed_at: hour }, { closed_at: { $exists: false }, updated_at: hour }],
      },
    ];
  });
  const counts = await mapLimit([...ageQueries, ...hourQueries], CONCURRENCY, (q) => tickets.count(q));
  return {
    space_name,
    generated_at: options.now.toISOString(),
    open_age: ACTIVITY_AGE_BUCKETS.map(({ bucket }, i) => ({ bucket, count: counts[i] })),
    per_hour: hourStarts.map((start, i) => ({
      hour: new Date(start).toISOString(),
      created: counts[ageQueries.length + 2 * i],
      closed: counts[ageQueries.length + 2 * i + 1],
    })),
    closed_basis: 'closed_at, else updated_at',
  };
}

/** `fn` over `items`, at most `limit` at a time, results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
