import { randomUUID } from 'node:crypto';
import { createEventStore } from '@tickets/event-store';
it('x', async () => {
  const store = await createEventStore({ kind: 'postgres', url: 'postgres://tickets:tickets@127.0.0.1:5433/tickets', schema: 'es_dbg_x' });
  const ev = () => ({ id: randomUUID(), type: 'X', data: {}, metadata: { command_id: 'a', correlation_id: 'b', causation_id: 'c', actor: 'd', occurred_at: new Date().toISOString() } });
  const r1 = await store.append('s-1', [ev()], 'no_stream');
  console.log(r1);
  const r2 = await store.append('s-1', [ev()], r1.next_expected_revision);
  console.log(r2);
  await store.close();
});
