import type { ResourceKey, TicketCreated, TicketEvent } from '@tickets/domain';
import type { RecordedEvent } from '@tickets/event-store';
import type { ApplyOutcome } from '../projection';
import { EventLog, ticketAssigned, ticketCreated, ticketProgressed, ticketStream } from '../testing/recorded-events';
import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import { counterContributions, countedFactsOf } from './ticket-counters';
import type { TicketDocument } from './ticket.schema';
import { TicketsReadModel } from './tickets.read-model';

/**
 * The `tickets` read model against the real local server (FerretDB v1 on the test machines): every event
 * type, the revision guard under replay, counters against a recount, and the escaping of user keys.
 */
// Servers shared with other test runs can be slow; the project's `testTimeout` does not reach hooks.
jest.setTimeout(60_000);

describe('tickets read model (real MongoDB-compatible server)', () => {
  let db: TestDatabase;
  let tickets: TicketsReadModel;

  beforeAll(async () => {
    db = await openTestDatabase();
    tickets = new TicketsReadModel(db.connection);
    await tickets.ensureIndexes();
  });
  afterAll(async () => db?.drop());
  beforeEach(async () => {
    await tickets.model.collection.deleteMany({});
    await tickets.counters.collection.deleteMany({});
  });

  const apply = async (events: readonly RecordedEvent[]): Promise<ApplyOutcome[]> => {
    const projection = tickets.projection();
    const outcomes: ApplyOutcome[] = [];
    for (const event of events) outcomes.push(await projection.apply(event));
    return outcomes;
  };
  const rawTickets = () => tickets.model.collection.find({}).sort({ _id: 1 }).toArray();
  const rawCounters = () => tickets.counters.collection.find({}).sort({ _id: 1 }).toArray();

  /** The counters a scan of the live documents gives (what the incremental counters must equal). */
  const recount = async (): Promise<Record<string, { open: number; closed: number }>> => {
    const totals: Record<string, { open: number; closed: number }> = {};
    for (const doc of await rawTickets()) {
      const facts = countedFactsOf(doc as unknown as TicketDocument);
      for (const c of facts ? counterContributions(facts) : []) {
        const t = (totals[c._id] ??= { open: 0, closed: 0 });
        t.open += c.open;
        t.closed += c.closed;
      }
    }
    return totals;
  };
  const storedCounters = async (): Promise<Record<string, { open: number; closed: number }>> =>
    Object.fromEntries(
      (await rawCounters())
        .filter((c) => c.open !== 0 || c.closed !== 0)
        .map((c) => [c._id as unknown as string, { open: c.open as number, closed: c.closed as number }]),
    );

  const key: ResourceKey = { space_name: 'acme', subpath: 'support/l1', shortname: 't1' };

  describe('when a ticket goes through its life cycle', () => {
    it('holds every attribute of every event', async () => {
      const log = new EventLog();
      const s = ticketStream(key);
      log.record(s, ticketCreated(key), '2025-01-01T00:00:00.000Z');
      log.record(s, ticketProgressed('new', 'in_progress', true, { action: 'start', actor: 'bob', comment: 'on it' }), '2025-01-02T00:00:00.000Z');
      log.record(s, ticketAssigned('carol', 'l2'), '2025-01-03T00:00:00.000Z');
      log.record(s, { type: 'TicketLocked', data: { holder: 'carol', expires_at: '2025-01-03T00:05:00.000Z', at: '2025-01-03T00:00:01.000Z' } }, '2025-01-03T00:00:01.000Z');
      log.record(s, { type: 'TicketUpdated', data: { set: { tags: ['x', 'y'], description: { en: 'more' } }, unset: ['reporter'], at: '2025-01-04T00:00:00.000Z' } }, '2025-01-04T00:00:00.000Z');
      log.record(s, { type: 'TicketUnlocked', data: { holder: 'carol', at: '2025-01-04T00:00:01.000Z' } }, '2025-01-04T00:00:01.000Z');
      log.record(s, { type: 'CommentAdded', data: { comment: { shortname: 'c2', uuid: 'u2', body: 'done soon', author: 'carol', created_at: '2025-01-05T00:00:00.000Z', state: 'in_progress' } } }, '2025-01-05T00:00:00.000Z');
      log.record(s, ticketProgressed('in_progress', 'done', false, { action: 'close', actor: 'carol', resolution_reason: 'fixed' }), '2025-01-06T00:00:00.000Z');

      expect(await apply(log.events)).toEqual(Array(8).fill('applied'));
      const doc = await tickets.findByKey('acme', '/support/l1/', 't1');
      expect(doc).toMatchObject({
        _id: 'acme/support/l1/t1',
        uuid: 'uuid-t1',
        state: 'done',
        is_open: false,
        resolution_reason: 'fixed',
        collaborators: { start: 'bob', processed_by: 'carol', close: 'carol' },
        owner_shortname: 'carol',
        owner_group_shortname: 'l2',
        assignment_history: [{ owner_shortname: 'carol', owner_group_shortname: 'l2', by: 'admin', at: new Date('2025-01-03T00:00:00.000Z') }],
        lock: null,
        tags: ['x', 'y'],
        description: { en: 'more' },
        comments: [
          { shortname: 'c_in_progress', body: 'on it', author: 'bob', state: 'in_progress' },
          { shortname: 'c2', body: 'done soon', author: 'carol', created_at: new Date('2025-01-05T00:00:00.000Z') },
        ],
        created_at: new Date('2025-01-01T00:00:00.000Z'),
        updated_at: new Date('2025-01-06T00:00:00.000Z'),
        revision: 7,
        last_position: 8,
        deleted: false,
      });
      expect(doc).not.toHaveProperty('reporter');

      expect(tickets.toTicketView(doc as TicketDocument)).toEqual({
        uuid: 'uuid-t1',
        shortname: 't1',
        subpath: 'support/l1',
        is_active: true,
        displayname: { en: 'A ticket' },
        description: { en: 'more' },
        tags: ['x', 'y'],
        created_at: '2025-01-01T00:00:00.000Z',
        updated_at: '2025-01-06T00:00:00.000Z',
        owner_shortname: 'carol',
        owner_group_shortname: 'l2',
        payload: { content_type: 'json', body: { msg: 'hello' } },
        state: 'done',
        is_open: false,
        workflow_shortname: 'support',
        collaborators: { start: 'bob', processed_by: 'carol', close: 'carol' },
        resolution_reason: 'fixed',
      });
      const withAttachments = tickets.toTicketView(doc as TicketDocument, { retrieveJsonPayload: false, retrieveAttachments: true });
      expect(withAttachments.payload).toEqual({ content_type: 'json' });
      expect(withAttachments.attachments?.comment.map((c) => [c.shortname, c.subpath, c.attributes.payload.body.body])).toEqual([
        ['c_in_progress', 'support/l1/t1', 'on it'],
        ['c2', 'support/l1/t1', 'done soon'],
      ]);
    });
  });

  describe('when events are applied twice or replayed out of order', () => {
    it('changes nothing (revision guard) and counts nothing twice', async () => {
      const log = new EventLog();
      const s = ticketStream(key);
      log.record(s, ticketCreated(key));
      log.record(s, ticketProgressed('new', 'in_progress', true, { comment: 'c' }));
      log.record(s, ticketAssigned('bob', 'l1'));
      log.record(s, ticketProgressed('in_progress', 'done', false));
      await apply(log.events);
      const docs = await rawTickets();
      const counters = await rawCounters();

      expect(await apply(log.events)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
      expect(await apply([...log.events].reverse())).toEqual(Array(4).fill('duplicate'));
      expect(await apply([log.events[2], log.events[2], log.events[0]])).toEqual(Array(3).fill('duplicate'));
      expect(await rawTickets()).toEqual(docs);
      expect(await rawCounters()).toEqual(counters);
      expect(await storedCounters()).toEqual(await recount());
    });

    it('skips an event whose predecessor is missing (gap) without touching the document', async () => {
      const log = new EventLog();
      const s = ticketStream(key);
      const created = log.record(s, ticketCreated(key));
      log.record(s, ticketAssigned('bob'));
      const third = log.record(s, ticketProgressed('new', 'done', false));
      await apply([created]);
      expect(await apply([third])).toEqual(['gap']);
      expect(await tickets.findByKey('acme', 'support/l1', 't1')).toMatchObject({ revision: 0, state: 'new' });
    });

    it('keeps counters exact when the process died between the counter and the document writes', async () => {
      const log = new EventLog();
      const s = ticketStream(key);
      await apply([log.record(s, ticketCreated(key))]);
      const beforeDoc = await tickets.model.collection.findOne({ _id: 'acme/support/l1/t1' as never });
      const close = log.record(s, ticketProgressed('new', 'done', false));
      await apply([close]);
      // Simulate the crash: the counters were written, the document update was not.
      await tickets.model.collection.replaceOne({ _id: 'acme/support/l1/t1' as never }, beforeDoc as never);
      expect(await apply([close])).toEqual(['applied']);
      expect(await tickets.findByKey('acme', 'support/l1', 't1')).toMatchObject({ state: 'done', revision: 1 });
      expect(await storedCounters()).toEqual(await recount());
      expect((await storedCounters())['acme/all/*']).toEqual({ open: 0, closed: 1 });
    });
  });

  describe('when tickets are deleted or moved', () => {
    it('hides them from queries, keeps them for audit, and re-homes a moved ticket', async () => {
      const log = new EventLog();
      const a = { ...key, shortname: 'abc' };
      const abcd = { ...key, shortname: 'abcd' };
      const dest = { space_name: 'acme', subpath: 'archive', shortname: 'moved' };
      log.record(ticketStream(a), ticketCreated(a));
      log.record(ticketStream(abcd), ticketCreated(abcd));
      log.record(ticketStream(a), ticketAssigned('bob'));
      log.record(ticketStream(a), { type: 'TicketDeleted', data: { by: 'admin', at: '2025-01-02T00:00:00.000Z' } });
      log.record(ticketStream(a), ticketProgressed('new', 'done', false)); // after a delete: ignored, as in the domain
      log.record(ticketStream(abcd), ticketAssigned('carol'));
      const snapshot = { ...(ticketCreated(abcd).data as TicketCreated['data']), ...dest, owner_shortname: 'carol', assignments: [{ owner_shortname: 'carol', previous_owner_shortname: 'alice', by: 'admin', at: '2025-01-03T00:00:00.000Z' }] };
      log.record(ticketStream(abcd), { type: 'TicketMovedOut', data: { to: dest, at: '2025-01-04T00:00:00.000Z' } });
      log.record(ticketStream(dest), { type: 'TicketMovedIn', data: { from: abcd, snapshot, at: '2025-01-04T00:00:00.000Z' } });
      expect(await apply(log.events)).toEqual(['applied', 'applied', 'applied', 'applied', 'ignored', 'applied', 'applied', 'applied']);

      expect(await tickets.findByKey('acme', 'support/l1', 'abc')).toBeNull();
      expect(await tickets.findByKey('acme', 'support/l1', 'abcd')).toBeNull();
      expect(await tickets.model.collection.findOne({ _id: 'acme/support/l1/abc' as never })).toMatchObject({ deleted: true, state: 'new', revision: 3 });
      expect(await tickets.model.collection.findOne({ _id: 'acme/support/l1/abcd' as never })).toMatchObject({ deleted: true, moved_to: 'acme/archive/moved' });
      expect(await tickets.findByKey('acme', 'archive', 'moved')).toMatchObject({
        owner_shortname: 'carol',
        subpath: 'archive',
        assignment_history: [{ owner_shortname: 'carol' }],
        revision: 0,
      });
      expect((await tickets.find({ space_name: 'acme' })).map((t) => t._id)).toEqual(['acme/archive/moved']);
      expect(await tickets.count({})).toBe(1);
      expect(await storedCounters()).toEqual(await recount());
      expect((await storedCounters())['acme/all/*']).toEqual({ open: 1, closed: 0 });
    });

    it('gives a ticket re-created under a deleted key a fresh document', async () => {
      const log = new EventLog();
      const s = ticketStream(key);
      log.record(s, ticketCreated(key));
      log.record(s, { type: 'TicketDeleted', data: { by: 'admin', at: '2025-01-02T00:00:00.000Z' } });
      log.record(s, ticketCreated(key, { uuid: 'second-life', owner_shortname: 'dave' }));
      expect(await apply(log.events)).toEqual(['applied', 'applied', 'applied']);
      expect(await tickets.findByKey('acme', 'support/l1', 't1')).toMatchObject({ uuid: 'second-life', revision: 2, deleted: false });
      expect(await storedCounters()).toEqual(await recount());
    });
  });

  describe('when user data has keys with "." or a leading "$" (FerretDB v1 field-name limits)', () => {
    it('stores them escaped and reads them back unchanged', async () => {
      const body = { 'a.b': { $gt: 1, list: [[1, 2], ['x', { 'y.z': true }]] }, $where: 'x', 'ok%2E': 1 };
      const log = new EventLog();
      const s = ticketStream(key);
      log.record(s, ticketCreated(key, {
        payload: { content_type: 'json', body },
        collaborators: { 'review.1': 'eve' },
        reporter: { msisdn: '964', channel_address: { '$sms.gw': 'a' } },
      }));
      log.record(s, ticketProgressed('new', 'in_progress', true, { action: '$escalate.now', actor: 'frank' }));
      log.record(s, { type: 'TicketUpdated', data: { set: { displayname: { en: 'x', 'fr.CA': 'y' } as never }, unset: [], at: '2025-01-02T00:00:00.000Z' } });
      await apply(log.events);

      const stored = await tickets.model.collection.findOne({ _id: 'acme/support/l1/t1' as never });
      expect(JSON.stringify(stored)).not.toMatch(/"[^"]*\.[^"]*":|"\$[^"]*":/);
      expect(stored?.collaborators).toEqual({ 'review%2E1': 'eve', '%24escalate%2Enow': 'frank' });

      const doc = await tickets.findByKey('acme', 'support/l1', 't1');
      expect(doc?.payload?.body).toEqual(body);
      expect(doc?.collaborators).toEqual({ 'review.1': 'eve', '$escalate.now': 'frank' });
      expect(doc?.reporter).toEqual({ msisdn: '964', channel_address: { '$sms.gw': 'a' } });
      expect(doc?.displayname).toEqual({ en: 'x', 'fr.CA': 'y' });
      expect((await tickets.find({ 'reporter.msisdn': '964' })).length).toBe(1);
    });
  });

  describe('when many tickets change in a random mix', () => {
    it('keeps the incremental counters equal to a recount, also after a full replay', async () => {
      const log = new EventLog();
      interface Live { key: ResourceKey; created: TicketCreated['data']; state: string; is_open: boolean; owner: string; group?: string }
      const live: Live[] = [];
      let seed = 7;
      const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      const owners = ['alice', 'bob', 'carol'];
      let next = 0;
      for (let step = 0; step < 250; step++) {
        const op = live.length === 0 ? 0 : random(10);
        if (op <= 2) {
          const k = { space_name: ['acme', 'globex'][random(2)], subpath: 'tickets', shortname: `t${next++}` };
          const created = ticketCreated(k, { workflow_shortname: ['support', 'sales'][random(2)], owner_shortname: owners[random(3)] });
          log.record(ticketStream(k), created);
          const d = created.data as TicketCreated['data'];
          live.push({ key: k, created: d, state: 'new', is_open: true, owner: d.owner_shortname });
          continue;
        }
        const index = random(live.length);
        const t = live[index];
        const s = ticketStream(t.key);
        let event: TicketEvent;
        if (op <= 5) {
          const [state, is_open] = [['new', true], ['in_progress', true], ['done', false], ['rejected', false]][random(4)] as [string, boolean];
          event = ticketProgressed(t.state, state, is_open);
          Object.assign(t, { state, is_open });
        } else if (op <= 7) {
          const group = random(2) === 0 ? undefined : ['l1', 'l2'][random(2)];
          event = ticketAssigned(owners[random(3)], group, t.owner);
          Object.assign(t, { owner: (event.data as { owner_shortname: string }).owner_shortname, group });
        } else if (op === 8) {
          event = { type: 'TicketDeleted', data: { by: 'admin', at: '2025-01-02T00:00:00.000Z' } };
          live.splice(index, 1);
        } else {
          const to = { space_name: ['acme', 'globex'][random(2)], subpath: 'moved', shortname: `t${next++}` };
          log.record(s, { type: 'TicketMovedOut', data: { to, at: '2025-01-02T00:00:00.000Z' } });
          const snapshot = { ...t.created, ...to, state: t.state, is_open: t.is_open, owner_shortname: t.owner, ...(t.group ? { owner_group_shortname: t.group } : {}) };
          event = { type: 'TicketMovedIn', data: { from: t.key, snapshot, at: '2025-01-02T00:00:00.000Z' } };
          live[index] = { ...t, key: to };
          log.record(ticketStream(to), event);
          continue;
        }
        log.record(s, event);
      }

      expect((await apply(log.events)).filter((o) => o !== 'applied')).toEqual([]);
      const counts = await storedCounters();
      expect(counts).toEqual(await recount());
      expect(counts['acme/all/*'].open + counts['acme/all/*'].closed + (counts['globex/all/*']?.open ?? 0) + (counts['globex/all/*']?.closed ?? 0)).toBe(live.length);
      expect(await tickets.count({})).toBe(live.length);

      const counters = await rawCounters();
      expect((await apply(log.events)).every((o) => o === 'duplicate')).toBe(true);
      expect(await rawCounters()).toEqual(counters);
      expect(await tickets.counts('acme', 'state')).toEqual(counters.filter((c) => c.space_name === 'acme' && c.dimension === 'state'));
    });
  });

  describe('waitForPosition', () => {
    it('resolves true once the document reached the position, false after the time-out', async () => {
      const log = new EventLog();
      const s = ticketStream(key);
      const created = log.record(s, ticketCreated(key));
      const assigned = log.record(s, ticketAssigned('bob'));
      await apply([created]);
      expect(await tickets.waitForPosition(key, created.position, 100)).toBe(true);
      const started = Date.now();
      expect(await tickets.waitForPosition(key, assigned.position, 120)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
      const waiting = tickets.waitForPosition(key, assigned.position, 2000);
      setTimeout(() => void apply([assigned]), 50);
      expect(await waiting).toBe(true);
    });
  });

  describe('indexes', () => {
    it('exist for the common filters', async () => {
      const indexes = (await tickets.model.collection.indexes()).map((i) => Object.keys(i.key).join('+'));
      expect(indexes).toEqual(
        expect.arrayContaining([
          'space_name+subpath',
          'state',
          'is_open',
          'owner_shortname',
          'owner_group_shortname',
          'workflow_shortname',
          'tags',
          'reporter.msisdn',
          'created_at',
        ]),
      );
    });
  });
});
