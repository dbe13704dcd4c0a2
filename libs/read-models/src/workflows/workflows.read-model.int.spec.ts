import type { ApplyOutcome } from '../projection';
import { openTestDatabase, type TestDatabase } from '../testing/mongo-test-db';
import { EventLog, workflowDefined } from '../testing/recorded-events';
import { WorkflowsReadModel } from './workflows.read-model';

/** The `workflows` read model against the real local server (FerretDB v1 on the test machines). */
// Servers shared with other test runs can be slow; the project's `testTimeout` does not reach hooks.
jest.setTimeout(60_000);

describe('workflows read model (real MongoDB-compatible server)', () => {
  let db: TestDatabase;
  let workflows: WorkflowsReadModel;

  beforeAll(async () => {
    db = await openTestDatabase();
    workflows = new WorkflowsReadModel(db.connection);
    await workflows.ensureIndexes();
  });
  afterAll(async () => db?.drop());

  describe('when a workflow is defined and redefined', () => {
    it('keeps the latest version and definition, and ignores replays', async () => {
      const log = new EventLog();
      log.record('workflow-acme/support', workflowDefined('acme', 'support', 1), '2025-01-01T00:00:00.000Z');
      log.record('workflow-acme/support', { ...workflowDefined('acme', 'support', 2), data: { ...workflowDefined('acme', 'support', 2).data, displayname: undefined } }, '2025-01-02T00:00:00.000Z');
      log.record('workflow-acme/sales', workflowDefined('acme', 'sales', 1));
      const projection = workflows.projection();
      const apply = async () => {
        const outcomes: ApplyOutcome[] = [];
        for (const e of log.events) outcomes.push(await projection.apply(e));
        return outcomes;
      };
      expect(await apply()).toEqual(['applied', 'applied', 'applied']);
      const stored = await workflows.model.collection.find({}).sort({ _id: 1 }).toArray();
      expect(await apply()).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(await workflows.model.collection.find({}).sort({ _id: 1 }).toArray()).toEqual(stored);

      const support = await workflows.findByKey('acme', 'support');
      expect(support).toMatchObject({
        _id: 'acme/support',
        version: 2,
        revision: 1,
        last_position: 2,
        created_at: new Date('2025-01-01T00:00:00.000Z'),
        updated_at: new Date('2025-01-02T00:00:00.000Z'),
      });
      expect(support).not.toHaveProperty('displayname');
      expect(support?.definition).toEqual(workflowDefined('acme', 'support', 2).data.definition);
      expect((await workflows.findBySpace('acme')).map((w) => w.shortname)).toEqual(['sales', 'support']);
      expect(await workflows.findByKey('acme', 'missing')).toBeNull();
    });
  });
});
