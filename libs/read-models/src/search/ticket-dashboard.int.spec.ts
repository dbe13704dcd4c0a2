import { DomainError, ticketSnapshot, type ActiveTicket, type ResourceKey, type TicketState } from '@tickets/domain';
import { agent, TicketCommandLog } from '../history/testing/ticket-command-log';
import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import type { TicketDocument } from '../tickets/ticket.schema';
import { TicketsReadModel } from '../tickets/tickets.read-model';
import {
  ACTIVITY_AGE_BUCKETS,
  dashboardActivity,
  summarizeCounters,
  TicketDashboard,
  type OpenClosed,
  type TicketCounterSummary,
} from './ticket-dashboard';

/**
 * Dashboard reads against a real MongoDB server (mongod on the test machines). A random mix of
 * commands goes through the domain's decider and the real projection; then the incrementally kept counters
 * (`type: counters`, the summary's counters) must equal a recount from scratch (count queries per value) and
 * the domain's own fold of every stream, also after a full replay; the summary's ages and per-day figures must
 * equal a recount of the live documents.
 */
jest.setTimeout(180_000);

const SPACES = ['acme', 'globex'];
const USERS = ['alice', 'bob', 'carol'];
const TEAMS = ['l1', 'l2'];
const ACTIONS = ['start', 'reject', 'resolve', 'reopen', 'close'];
const DAY = 86_400_000;

describe('ticket dashboard (real MongoDB-compatible server)', () => {
  let db: TestDatabase;
  let tickets: TicketsReadModel;
  let dashboard: TicketDashboard;
  const log = new TicketCommandLog();
  const keys: ResourceKey[] = [];
  let refused = 0;
  const end = Date.parse('2025-03-01T00:00:00.000Z');

  beforeAll(async () => {
    db = await openTestDatabase();
    tickets = new TicketsReadModel(db.connection);
    await tickets.ensureIndexes();
    dashboard = new TicketDashboard(tickets);

    // mulberry32: a small deterministic generator, so a failure replays exactly.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    let clock = end - 28 * DAY;
    let next = 0;
    for (let step = 0; step < 400; step++) {
      clock += random(2 * 3_600_000) + 1000;
      const now = new Date(clock).toISOString();
      const actor = agent(USERS[random(USERS.length)]);
      const op = keys.length === 0 ? 0 : random(12);
      try {
        if (op <= 2) {
          const key = { space_name: SPACES[random(2)], subpath: ['tickets', 'tickets/vip'][random(2)], shortname: `t${next++}` };
          log.run(key, 'CreateTicket', { uuid: `uuid-${key.shortname}`, workflow_shortname: 'support', tags: random(2) ? ['vip'] : [] }, actor, now);
          keys.push(key);
          continue;
        }
        const key = keys[random(keys.length)];
        if (op <= 6) log.run(key, 'ProgressTicket', { action: ACTIONS[random(ACTIONS.length)] }, actor, now);
        else if (op <= 8) {
          const group = random(3) === 0 ? {} : { owner_group_shortname: TEAMS[random(2)] };
          log.run(key, 'AssignTicket', { owner_shortname: USERS[random(3)], ...group }, actor, now);
        } else if (op === 9) log.run(key, 'PatchTicket', { attributes: { tags: random(2) ? ['vip'] : ['x'] } }, actor, now);
        else if (op === 10) log.run(key, 'DeleteTicket', {}, actor, now);
        else {
          const before = log.state(key);
          const to = { ...key, subpath: 'moved', shortname: `t${next++}` };
          log.run(key, 'MoveTicketOut', { to }, actor, now);
          log.run(to, 'MoveTicketIn', { from: key, snapshot: ticketSnapshot(before as ActiveTicket, to) }, actor, now);
          keys.push(to);
        }
      } catch (error) {
        // Refused commands (a transition the state lacks, a command on a deleted ticket) are part of the mix.
        if (!(error instanceof DomainError)) throw error;
        refused++;
      }
    }
    const projection = tickets.projection();
    for (const event of log.events) expect(await projection.apply(event)).toBe('applied');
  });
  afterAll(async () => db?.drop());

  /** The counters from scratch: one count query per (dimension, value) over the live documents. */
  async function recount(space_name: string): Promise<TicketCounterSummary> {
    const docs = await tickets.find({ space_name }, { limit: 100_000 });
    const values = (pick: (d: TicketDocument) => string | null) => [...new Set(docs.map(pick).filter((v): v is string => !!v))];
    const pair = async (filter: Record<string, unknown>): Promise<OpenClosed> => ({
      open: await tickets.count({ space_name, ...filter, is_open: true }),
      closed: await tickets.count({ space_name, ...filter, is_open: false }),
    });
    const by = async (field: keyof TicketDocument, pick: (d: TicketDocument) => string | null) => {
      const entries = await Promise.all(values(pick).map(async (v) => [v, await pair({ [field]: v })] as const));
      return Object.fromEntries(entries.filter(([, c]) => c.open + c.closed > 0));
    };
    return {
      all: await pair({}),
      state: await by('state', (d) => d.state),
      owner: await by('owner_shortname', (d) => d.owner_shortname),
      group: await by('owner_group_shortname', (d) => d.owner_group_shortname),
      workflow: await by('workflow_shortname', (d) => d.workflow_shortname),
    };
  }

  /** The counters the domain's fold of every stream implies. */
  function fromDomain(space_name: string): TicketCounterSummary {
    const live = keys
      .filter((k) => k.space_name === space_name)
      .map((k) => log.state(k))
      .filter((s: TicketState): s is ActiveTicket => s.status === 'active');
    const tally = (pick: (t: ActiveTicket) => string | undefined) => {
      const out: Record<string, { open: number; closed: number }> = {};
      for (const t of live) {
        const v = pick(t);
        if (!v) continue;
        const c = (out[v] ??= { open: 0, closed: 0 });
        if (t.is_open) c.open++;
        else c.closed++;
      }
      return out;
    };
    return {
      all: { open: live.filter((t) => t.is_open).length, closed: live.filter((t) => !t.is_open).length },
      state: tally((t) => t.state),
      owner: tally((t) => t.owner_shortname),
      group: tally((t) => t.owner_group_shortname),
      workflow: tally((t) => t.workflow_shortname),
    };
  }

  it('had a real mix: creates, refusals, closed, deleted and moved tickets', () => {
    const types = new Set(log.events.map((e) => e.type));
    expect([...types].sort()).toEqual(
      expect.arrayContaining(['TicketCreated', 'TicketProgressed', 'TicketAssigned', 'TicketDeleted', 'TicketMovedOut', 'TicketMovedIn', 'TicketUpdated']),
    );
    expect(refused).toBeGreaterThan(10);
    const summary = fromDomain('acme');
    expect(summary.all.open).toBeGreaterThan(0);
    expect(summary.all.closed).toBeGreaterThan(0);
  });

  it.each(SPACES)('keeps the counters of %s equal to a recount from scratch and to the domain fold', async (space) => {
    const counters = await dashboard.counters(space);
    expect(counters).toEqual(await recount(space));
    expect(counters).toEqual(fromDomain(space));
  });

  it('reads the counters with one query, not a scan (summarizeCounters over ticket_counters only)', async () => {
    const raw = await tickets.counts('acme');
    expect(raw.length).toBeLessThan(40);
    expect(summarizeCounters(raw)).toEqual(await dashboard.counters('acme'));
  });

  it('keeps them after every event is delivered again (replay)', async () => {
    const before = await dashboard.counters('acme');
    const projection = tickets.projection();
    for (const event of log.events) expect(await projection.apply(event)).toBe('duplicate');
    expect(await dashboard.counters('acme')).toEqual(before);
  });

  describe('the summary', () => {
    it('counts open tickets by age and tickets created and closed per day, as a recount of the documents', async () => {
      const now = new Date(end);
      const summary = await dashboard.summary('acme', { now, days: 30 });
      const docs = await tickets.find({ space_name: 'acme' }, { limit: 100_000 });
      const age = (d: TicketDocument) => end - new Date(d.created_at).getTime();
      const open = docs.filter((d) => d.is_open);
      expect(summary.open_age).toEqual({
        '<1d': open.filter((d) => age(d) < DAY).length,
        '1-7d': open.filter((d) => age(d) >= DAY && age(d) < 7 * DAY).length,
        '7-30d': open.filter((d) => age(d) >= 7 * DAY && age(d) < 30 * DAY).length,
        '>30d': open.filter((d) => age(d) >= 30 * DAY).length,
      });
      expect(Object.values(summary.open_age).reduce((a, b) => a + b, 0)).toBe(summary.counters.all.open);
      expect(summary.per_day).toHaveLength(30);
      expect(summary.per_day[29].date).toBe('2025-03-01');
      expect(summary.per_day[0].date).toBe('2025-01-31');
      const day = (date: Date | string) => new Date(date).toISOString().slice(0, 10);
      for (const { date, created, closed } of summary.per_day) {
        expect({ date, created }).toEqual({ date, created: docs.filter((d) => day(d.created_at) === date).length });
        expect({ date, closed }).toEqual({ date, closed: docs.filter((d) => !d.is_open && day(d.closed_at ?? d.updated_at) === date).length });
      }
      expect(summary.per_day.some((d) => d.created > 0)).toBe(true);
      expect(summary.per_day.some((d) => d.closed > 0)).toBe(true);
      expect(summary).toMatchObject({ space_name: 'acme', generated_at: '2025-03-01T00:00:00.000Z', counters: await dashboard.counters('acme') });
    });

    it('counts open tickets by finer ages and tickets created and closed per hour (activity), as a recount', async () => {
      // "Now" inside the generated history, so some tickets were created and closed in the last hours.
      const now = end - 20 * DAY;
      const activity = await dashboardActivity(tickets, 'acme', { now: new Date(now), hours: 72 });
      const docs = await tickets.find({ space_name: 'acme' }, { limit: 100_000 });
      const at = (date: Date | string) => new Date(date).getTime();
      const open = docs.filter((d) => d.is_open && at(d.created_at) <= now);
      let above = 0;
      const expected = ACTIVITY_AGE_BUCKETS.map(({ bucket, below }) => {
        const count = open.filter(
          (d) => now - at(d.created_at) >= above && now - at(d.created_at) < below,
        ).length;
        above = below;
        return { bucket, count };
      });
      expect(activity.open_age).toEqual(expected);
      expect(activity.per_hour).toHaveLength(72);
      expect(activity.per_hour[71].hour).toBe(
        new Date(Math.floor(now / 3_600_000) * 3_600_000).toISOString(),
      );
      for (const { hour, created, closed } of activity.per_hour) {
        const inHour = (date: Date | string) => at(date) >= at(hour) && at(date) < at(hour) + 3_600_000;
        expect({ hour, created }).toEqual({ hour, created: docs.filter((d) => inHour(d.created_at)).length });
        expect({ hour, closed }).toEqual({
          hour,
          closed: docs.filter((d) => !d.is_open && inHour(d.closed_at ?? d.updated_at)).length,
        });
      }
      expect(activity.per_hour.some((h) => h.created > 0)).toBe(true);
      expect(activity.open_age.some((b) => b.count > 0)).toBe(true);
    });

    it('takes the >30d bucket from the open counter, equal to a recount, when tickets have aged past 30 days', async () => {
      const later = end + 12 * DAY;
      const summary = await dashboard.summary('acme', { now: new Date(later), days: 1 });
      const open = (await tickets.find({ space_name: 'acme', is_open: true }, { limit: 100_000 })).map((d) => later - new Date(d.created_at).getTime());
      const older = open.filter((age) => age >= 30 * DAY).length;
      expect(older).toBeGreaterThan(0);
      expect(summary.open_age).toEqual({
        '<1d': 0,
        '1-7d': 0,
        '7-30d': open.filter((age) => age >= 7 * DAY && age < 30 * DAY).length,
        '>30d': older,
      });
    });

    it('is empty, not failing, for a space without tickets', async () => {
      const summary = await dashboard.summary('nobody', { now: new Date(end), days: 1 });
      expect(summary).toMatchObject({
        counters: { all: { open: 0, closed: 0 }, state: {}, owner: {}, group: {}, workflow: {} },
        open_age: { '<1d': 0, '1-7d': 0, '7-30d': 0, '>30d': 0 },
        per_day: [{ date: '2025-03-01', created: 0, closed: 0 }],
      });
    });
  });
});
