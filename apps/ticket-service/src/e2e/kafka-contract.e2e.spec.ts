import { loadConfig } from '@tickets/config';
import { streamIds } from '@tickets/contracts';
import { createEventStore } from '@tickets/event-store';
import { call, dmartRequest, envelope, KafkaTestClient, SUPPORT_WORKFLOW, ADMIN, tokenFor, uniqueSpace } from '@tickets/testing';


/**
 * The Kafka contract for internal publishers (ARCHITECTURE.md "Kafka contract"), against the running
 * ticket-service: duplicate delivery, poison messages, and concurrent commands on one ticket.
 */
describe('commands published straight to Kafka', () => {
  const space = uniqueSpace('kafka');
  const kafka = new KafkaTestClient();
  const key = (shortname: string) => ({ space_name: space, subpath: 'tickets', shortname });

  beforeAll(async () => {
    await kafka.start();
    const workflow = envelope('DefineWorkflow', { space_name: space, subpath: 'workflows', shortname: 'support' }, { mode: 'create', body: SUPPORT_WORKFLOW }, ADMIN);
    await kafka.publish(workflow);
    const [defined] = await kafka.resultsFor(workflow.command_id);
    expect(defined.status).toBe('succeeded');
  });
  afterAll(() => kafka.stop());

  describe('when the same command is published twice', () => {
    it('has one effect and answers twice with the same result', async () => {
      const create = envelope('CreateTicket', key('auto'), { workflow_shortname: 'support' });
      await kafka.publish(create);
      await kafka.publish(create);
      const results = await kafka.resultsFor(create.command_id, 2);
      expect(results).toHaveLength(2);
      expect(results[0].status).toBe('succeeded');
      expect(results[1]).toEqual(results[0]);

      const shortname = results[0].ticket!['shortname'] as string;
      const progress = envelope('ProgressTicket', key(shortname), { action: 'start' });
      await kafka.publish(progress);
      await kafka.publish(progress);
      const progressed = await kafka.resultsFor(progress.command_id, 2);
      expect(progressed[1]).toEqual(progressed[0]);
      expect(progressed[0]).toMatchObject({ status: 'succeeded', ticket: { state: 'in_progress' } });
    });

    it('answers a refused command the same way the second time, even after the ticket changed', async () => {
      const create = envelope('CreateTicket', key('refusal_1'), { workflow_shortname: 'support' });
      await kafka.publish(create);
      await kafka.resultsFor(create.command_id);
      const resolve = envelope('ProgressTicket', key('refusal_1'), { action: 'resolve' });
      await kafka.publish(resolve);
      const [first] = await kafka.resultsFor(resolve.command_id);
      expect(first).toMatchObject({ status: 'rejected', error: { code: 300 } });

      const start = envelope('ProgressTicket', key('refusal_1'), { action: 'start' });
      await kafka.publish(start);
      await kafka.resultsFor(start.command_id);
      await kafka.publish(resolve); // would now be valid, but it is the same command: same answer
      const both = await kafka.resultsFor(resolve.command_id, 2);
      expect(both[1]).toEqual(first);
    });
  });

  describe('when a command that changed nothing is delivered again after the ticket changed', () => {
    it('answers as the first time and has no effect (the no-op answer is recorded)', async () => {
      const create = envelope('CreateTicket', key('noop_1'), { workflow_shortname: 'support' });
      await kafka.publish(create);
      await kafka.resultsFor(create.command_id);
      const toOwner = envelope('AssignTicket', key('noop_1'), { owner_shortname: 'billing_service' }); // already the owner
      await kafka.publish(toOwner);
      const [first] = await kafka.resultsFor(toOwner.command_id);
      expect(first).toMatchObject({ status: 'succeeded', ticket: { owner_shortname: 'billing_service' } });

      const toCarol = envelope('AssignTicket', key('noop_1'), { owner_shortname: 'carol' });
      await kafka.publish(toCarol);
      await kafka.resultsFor(toCarol.command_id);
      await kafka.publish(toOwner);
      const both = await kafka.resultsFor(toOwner.command_id, 2);
      expect(both[1]).toEqual(first);

      const check = envelope('UnlockTicket', key('noop_1'), {});
      await kafka.publish(check);
      const [after] = await kafka.resultsFor(check.command_id);
      expect(after.ticket).toMatchObject({ owner_shortname: 'carol' });
    });
  });

  describe('when a ticket would outgrow the size limit', () => {
    it('refuses the command with 422 and keeps processing others', async () => {
      const create = envelope('CreateTicket', key('big_1'), { workflow_shortname: 'support', payload: { content_type: 'json', body: {} } });
      await kafka.publish(create);
      await kafka.resultsFor(create.command_id);
      // Each command stays within the envelope limits (256 KiB, strings of 32 K); the third would take the ticket
      // past 512 KiB.
      const chunk = (tag: string) => Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`${tag}${i}`, 'x'.repeat(30 * 1024)]));
      const zeroth = envelope('PatchTicket', key('big_1'), { payload: { body: { z: chunk('z') } } });
      const first = envelope('PatchTicket', key('big_1'), { payload: { body: { a: chunk('a') } } });
      const second = envelope('PatchTicket', key('big_1'), { payload: { body: { b: chunk('b') } } });
      await kafka.publish(zeroth);
      await kafka.publish(first);
      await kafka.publish(second);
      expect((await kafka.resultsFor(zeroth.command_id))[0]?.status).toBe('succeeded');
      expect((await kafka.resultsFor(first.command_id))[0]?.status).toBe('succeeded');
      const [refused] = await kafka.resultsFor(second.command_id);
      expect(refused).toMatchObject({ status: 'rejected', error: { code: 422 } });
      expect(refused.error!.message).toMatch(/bytes/);

      const next = envelope('CreateTicket', key('after_big'), { workflow_shortname: 'support' });
      await kafka.publish(next);
      expect((await kafka.resultsFor(next.command_id))[0]?.status).toBe('succeeded');
    });
  });

  describe('when a message is unparseable or invalid', () => {
    it('rejects it, dead-letters it with the reason, and goes on with the next command', async () => {
      await kafka.publishRaw(`${space}/tickets/poison`, '{not json');
      const invalid = { ...envelope('CreateTicket', key('poison_2'), {}), command_id: crypto.randomUUID() };
      await kafka.publish(invalid);
      const next = envelope('CreateTicket', key('after_poison'), { workflow_shortname: 'support' });
      await kafka.publish(next);

      const [ok] = await kafka.resultsFor(next.command_id);
      expect(ok.status).toBe('succeeded');
      const [rejected] = await kafka.resultsFor(invalid.command_id);
      expect(rejected).toMatchObject({ status: 'rejected', error: { code: 422 } });
      expect(rejected.error!.message).toContain('workflow_shortname');
      const deadline = Date.now() + 10000;
      while (kafka.deadLetters.filter((d) => d.key?.startsWith(space)).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const letters = kafka.deadLetters.filter((d) => d.key?.startsWith(space));
      expect(letters.map((l) => l.reason)).toEqual(
        expect.arrayContaining([expect.stringContaining('not JSON'), expect.stringContaining('workflow_shortname')]),
      );
      expect(letters.find((l) => l.reason?.includes('not JSON'))!.value['original']).toBe('{not json');
    });
  });

  describe('when 20 progress requests race on one ticket', () => {
    it('lets exactly one transition through and refuses the others clearly', async () => {
      const admin = tokenFor('alice', ['agent']);
      const created = await call<any>('POST', '/managed/request', {
        token: admin,
        body: dmartRequest(space, 'create', { resource_type: 'ticket', shortname: 'race', subpath: 'tickets', attributes: { workflow_shortname: 'support' } }),
      });
      expect(created.status).toBe(200);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => call<any>('PUT', `/managed/progress-ticket/${space}/tickets/race/start`, { token: admin })),
      );
      const ok = answers.filter((a) => a.status === 200);
      const refused = answers.filter((a) => a.status !== 200);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(19);
      for (const r of refused) expect(r.body.error).toMatchObject({ code: 300, message: "can't progress from in_progress using start" });

      const config = loadConfig();
      const store = await createEventStore({ kind: 'postgres', url: config.POSTGRES_URL, schema: config.POSTGRES_SCHEMA, migrate: false });
      try {
        const events = await store.readStream(streamIds.ticket(key('race')));
        expect(events.map((e) => e.type)).toEqual(['TicketCreated', 'TicketProgressed']);
      } finally {
        await store.close();
      }
    });
  });
});
