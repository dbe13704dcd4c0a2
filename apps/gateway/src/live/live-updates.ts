import { Injectable, type MessageEvent, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, register } from 'prom-client';
import { Observable, Subject } from 'rxjs';
import { TicketsReadModel, type TicketIntegrationEvent } from '@tickets/read-models';

/** Metric names of the live streams. */
export const LIVE_METRICS = {
  streams: 'gateway_live_streams',
  events: 'gateway_live_events_total',
} as const;

/** Time between two `heartbeat` events of an idle stream, in ms (keeps proxies from closing it). */
export const LIVE_HEARTBEAT_MS = 15_000;

/**
 * The live ticket changes of this gateway replica (`GET /live/{space}`): every message of
 * `tickets.events.v1` (the public ticket events, docs/integration-events.md) enters through {@link accept}
 * (fed by `LiveEventsConsumer`), is de-duplicated by `event_id` (publication is at least once) and reaches the
 * open streams of its space.
 *
 * A stream is an Observable of Server-Sent Events:
 * - `snapshot` first: `{space_name, counters: [{dimension, key, open, closed, last_position}]}`, the space's
 *   dashboard counters from the read model (live generation), so a dashboard starts from a complete picture;
 * - `ticket` per change: the public event as published (`id:` is its position);
 * - `counters` per change that moves counters: `{space_name, event_id, position, deltas: [{dimension, key,
 *   open, closed}]}`. A delta counts for a counter only when its `position` is above the counter's
 *   `last_position` in the snapshot (events that arrive while the snapshot is read are sent after it, and may
 *   already be in it);
 * - `heartbeat` every 15 s: `{at}`.
 */
@Injectable()
export class LiveUpdates implements OnModuleDestroy {
  private readonly events = new Subject<TicketIntegrationEvent>();
  private readonly seen = new LRUCache<string, true>({ max: 50_000 });
  private readonly streams: Gauge;
  private readonly delivered: Counter;

  constructor(private readonly tickets: TicketsReadModel) {
    // One registry per process: a second app in the same (test) process replaces the metrics.
    for (const name of Object.values(LIVE_METRICS)) register.removeSingleMetric(name);
    this.streams = new Gauge({ name: LIVE_METRICS.streams, help: 'Open GET /live/{space} streams of this replica.' });
    this.delivered = new Counter({
      name: LIVE_METRICS.events,
      help: 'Ticket events received from tickets.events.v1 by this replica (after de-duplication).',
    });
  }

  /**
   * Takes one message value of `tickets.events.v1` (parsed JSON, or its text); ignores what is not a v1 ticket
   * event and what was seen already (same `event_id`).
   */
  accept(value: unknown): void {
    const event = parseTicketEvent(value);
    if (!event || this.seen.has(event.event_id)) return;
    this.seen.set(event.event_id, true);
    this.delivered.inc();
    this.events.next(event);
  }

  /** The live stream of `space` (see the class doc). Counters that cannot be read end the stream with the error. */
  stream(space: string, heartbeatMs = LIVE_HEARTBEAT_MS): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      this.streams.inc();
      let snapshotSent = false;
      const early: TicketIntegrationEvent[] = [];
      const send = (event: TicketIntegrationEvent) => {
        subscriber.next({ type: 'ticket', id: event.position, data: event });
        if (event.counter_deltas.length > 0) {
          subscriber.next({
            type: 'counters',
            id: event.position,
            data: { space_name: event.space_name, event_id: event.event_id, position: event.position, deltas: event.counter_deltas },
          });
        }
      };
      // Subscribe before reading the snapshot, so nothing falls between the two.
      const subscription = this.events.subscribe((event) => {
        if (event.space_name !== space) return;
        if (snapshotSent) send(event);
        else early.push(event);
      });
      this.tickets.counts(space).then(
        (counters) => {
          if (subscriber.closed) return;
          subscriber.next({
            type: 'snapshot',
            data: {
              space_name: space,
              counters: counters.map(({ dimension, key, open, closed, last_position }) => ({ dimension, key, open, closed, last_position })),
            },
          });
          snapshotSent = true;
          for (const event of early.splice(0)) send(event);
        },
        (error: unknown) => subscriber.error(error),
      );
      const heartbeat = setInterval(() => subscriber.next({ type: 'heartbeat', data: { at: new Date().toISOString() } }), heartbeatMs);
      return () => {
        clearInterval(heartbeat);
        subscription.unsubscribe();
        this.streams.dec();
      };
    });
  }

  onModuleDestroy(): void {
    this.events.complete();
  }
}

/** The v1 ticket event in `value`, or `null` when it is not one (other schema versions, garbage). */
function parseTicketEvent(value: unknown): TicketIntegrationEvent | null {
  let candidate = value;
  if (Buffer.isBuffer(candidate)) candidate = candidate.toString('utf8');
  if (typeof candidate === 'string') {
    try {
      candidate = JSON.parse(candidate);
    } catch {
      return null;
    }
  }
  if (typeof candidate !== 'object' || candidate === null) return null;
  const event = candidate as Partial<TicketIntegrationEvent>;
  const ok =
    event.schema_version === 1 &&
    typeof event.event_id === 'string' &&
    typeof event.space_name === 'string' &&
    typeof event.position === 'string' &&
    Array.isArray(event.counter_deltas);
  return ok ? (event as TicketIntegrationEvent) : null;
}
