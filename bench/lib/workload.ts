import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { loadConfig } from '@tickets/config';
import type { CommandEnvelope } from '@tickets/contracts';

/**
 * The command mix every end-to-end figure uses: create a ticket, and `start` (draft -> in_progress) tickets
 * created earlier, one for one, as Dmart clients send them (README.md "A first ticket", the e2e specs).
 * Shortnames are chosen here (not `auto`) so that a request's ticket is known before its answer arrives.
 */

/** The support workflow and payload schema of the e2e specifications: the bench drives the same life cycle. */
export { SUPPORT_WORKFLOW, TICKET_PAYLOAD_SCHEMA } from '../../libs/testing/src/fixtures';
import { SUPPORT_WORKFLOW, TICKET_PAYLOAD_SCHEMA } from '../../libs/testing/src/fixtures';

export const WORKFLOW_SHORTNAME = 'support';
export const SCHEMA_SHORTNAME = 'schema';
export const SUBPATH = 'tickets';

/** The attributes of every created ticket (a Dmart client's create record). */
export const TICKET_ATTRIBUTES = {
  workflow_shortname: WORKFLOW_SHORTNAME,
  is_active: true,
  tags: ['bench'],
  payload: {
    content_type: 'json',
    schema_shortname: SCHEMA_SHORTNAME,
    body: { priority: 3, summary: 'printer on fire' },
  },
  reporter: { type: 'admin_lite', name: 'Foo Bar', channel: 'HQTest', msisdn: '1111111111' },
};

/** The actor of every command: an agent (may `start`). */
export const ACTOR = { shortname: 'bench_agent', roles: ['agent'], groups: [] as string[] };

export function tokenFor(user: string, roles: readonly string[]): string {
  return new JwtService({ secret: loadConfig().jwtSecret }).sign(
    { sub: user, roles, groups: [] },
    { algorithm: 'HS256', expiresIn: 6 * 3600 },
  );
}

/** A space name unique to this run (`bench_<12 hex>`). */
export function uniqueSpace(prefix = 'bench'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export type OpKind = 'create' | 'progress';
export interface Op {
  readonly kind: OpKind;
  readonly shortname: string;
}

/**
 * Hands out the next command of the mix: alternately a create (fresh shortname) and a `start` of a ticket
 * whose create has succeeded (FIFO); a create whenever no created ticket waits.
 */
export class Mix {
  private seq = 0;
  private flip = false;
  private readonly ready: string[] = [];
  private head = 0;

  constructor(private readonly prefix: string) {}

  next(): Op {
    this.flip = !this.flip;
    if (!this.flip && this.head < this.ready.length) {
      const shortname = this.ready[this.head++];
      if (this.head > 10_000) {
        this.ready.splice(0, this.head);
        this.head = 0;
      }
      return { kind: 'progress', shortname };
    }
    return { kind: 'create', shortname: this.shortnameOf(this.seq++) };
  }

  /** Shortnames handed out so far (`<prefix>0` .. `<prefix>{n-1}` in base 36). */
  issued(): number {
    return this.seq;
  }

  /** The shortname of the `i`-th create. */
  shortnameOf(i: number): string {
    return `${this.prefix}${i.toString(36)}`;
  }

  /** A create succeeded: its ticket may now be started. */
  created(shortname: string): void {
    this.ready.push(shortname);
  }
}

/** `POST /managed/request` body creating ticket `shortname` in `space`. */
export function createRequestBody(space: string, shortname: string): string {
  return JSON.stringify({
    space_name: space,
    request_type: 'create',
    records: [{ resource_type: 'ticket', shortname, subpath: SUBPATH, attributes: TICKET_ATTRIBUTES }],
  });
}

export function progressPath(space: string, shortname: string, action = 'start'): string {
  return `/managed/progress-ticket/${space}/${SUBPATH}/${shortname}/${action}`;
}

/** The envelope an internal publisher sends for `op` (same payload the gateway builds for the HTTP request). */
export function envelopeFor(space: string, op: Op): CommandEnvelope {
  const command_id = randomUUID();
  return {
    command_id,
    type: op.kind === 'create' ? 'CreateTicket' : 'ProgressTicket',
    space_name: space,
    subpath: SUBPATH,
    shortname: op.shortname,
    actor: ACTOR,
    issued_at: new Date().toISOString(),
    correlation_id: command_id,
    causation_id: command_id,
    payload: op.kind === 'create' ? { ...TICKET_ATTRIBUTES } : { action: 'start' },
  };
}

/** `_id` of a ticket's read-model document. */
export function ticketDocId(space: string, shortname: string): string {
  return `${space}/${SUBPATH}/${shortname}`;
}

/** Defines the workflow and payload schema of `space` through the gateway (as the e2e specs do). */
export async function defineSpace(gatewayUrl: string, space: string, token: string): Promise<void> {
  const post = async (body: unknown) => {
    const r = await fetch(`${gatewayUrl}/managed/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`set-up request failed: HTTP ${r.status} ${text.slice(0, 300)}`);
  };
  await post({
    space_name: space,
    request_type: 'create',
    records: [
      {
        resource_type: 'content',
        shortname: WORKFLOW_SHORTNAME,
        subpath: 'workflows',
        attributes: { is_active: true, payload: { content_type: 'json', body: SUPPORT_WORKFLOW } },
      },
    ],
  });
  await post({
    space_name: space,
    request_type: 'create',
    records: [
      {
        resource_type: 'schema',
        shortname: SCHEMA_SHORTNAME,
        subpath: 'schema',
        attributes: { is_active: true, payload: { content_type: 'json', body: TICKET_PAYLOAD_SCHEMA } },
      },
    ],
  });
}
