import type { MessageEvent } from '@nestjs/common';
import type { TicketCounterDocument, TicketIntegrationEvent, TicketsReadModel } from '@tickets/read-models';
import { LiveUpdates } from './live-updates';

const event = (n: number, space_name = 'acme', deltas = [{ dimension: 'all', key: '*', open: 1, closed: 0 }]): TicketIntegrationEvent =>
  ({
    schema_version: 1,
    event_id: `e${n}`,
    event_type: 'TicketCreated',
    ticket_path: `${space_name}/tickets/t${n}`,
    space_name,
    subpath: 'tickets',
    shortname: `t${n}`,
    revision: 0,
    position: String(n),
    counter_deltas: deltas,
  }) as unknown as TicketIntegrationEvent;

/** A read model whose counters answer when the test says so. */
function readModel() {
  let answer: (counters: TicketCounterDocument[]) => void = () => undefined;
  const tickets = { counts: () => new Promise<TicketCounterDocument[]>((resolve) => (answer = resolve)) } as unknown as TicketsReadModel;
  return { tickets, answer: (counters: TicketCounterDocument[]) => answer(counters) };
}

describe('live updates of a space', () => {
  it('sends the counters snapshot first, then the changes that arrived while it was read, then live ones', async () => {
    const { tickets, answer } = readModel();
    const live = new LiveUpdates(tickets);
    const received: MessageEvent[] = [];
    const subscription = live.stream('acme').subscribe((e) => received.push(e));
    live.accept(event(1));
    expect(received).toEqual([]);
    answer([{ _id: 'acme/all/*', space_name: 'acme', dimension: 'all', key: '*', open: 1, closed: 0, last_position: 1, updated_at: new Date() }]);
    await new Promise((resolve) => setImmediate(resolve));
    live.accept(JSON.stringify(event(2)));
    expect(received.map((e) => `${e.type}:${e.id ?? ''}`)).toEqual(['snapshot:', 'ticket:1', 'counters:1', 'ticket:2', 'counters:2']);
    expect(received[0].data).toEqual({ space_name: 'acme', counters: [{ dimension: 'all', key: '*', open: 1, closed: 0, last_position: 1 }] });
    expect(received[2].data).toEqual({ space_name: 'acme', event_id: 'e1', position: '1', deltas: [{ dimension: 'all', key: '*', open: 1, closed: 0 }] });
    subscription.unsubscribe();
    live.onModuleDestroy();
  });

  it('drops redeliveries (same event id), other spaces, and what is not a v1 ticket event', async () => {
    const { tickets, answer } = readModel();
    const live = new LiveUpdates(tickets);
    const received: MessageEvent[] = [];
    const subscription = live.stream('acme').subscribe((e) => received.push(e));
    answer([]);
    await new Promise((resolve) => setImmediate(resolve));
    live.accept(event(1, 'acme', []));
    live.accept(event(1, 'acme', []));
    live.accept(event(2, 'other'));
    live.accept({ schema_version: 2, event_id: 'x' });
    live.accept('not json');
    expect(received.map((e) => `${e.type}:${e.id ?? ''}`)).toEqual(['snapshot:', 'ticket:1']);
    subscription.unsubscribe();
    live.onModuleDestroy();
  });
});
