import type { INestApplication } from '@nestjs/common';
import { JwtModule, JwtService } from '@nestjs/jwt';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { loadConfig } from '@tickets/config';
import { checkCommandEnvelope, type CommandEnvelope, type CommandResult } from '@tickets/contracts';
import { APP_CONFIG } from '@tickets/platform';
import { TicketDashboard, TicketSearch, TicketsReadModel } from '@tickets/read-models';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CommandBus } from '../commands/command-bus';
import { configureHttpEdge } from '../errors/http-edge';
import { ManagedQueryController } from '../query/managed-query.controller';
import { TicketHistoryReader } from '../query/ticket-history.reader';
import { ManagedController } from './managed.controller';
import { ReadYourWrites } from './read-your-writes';
import { TicketActionsController } from './ticket-actions.controller';

/**
 * Hostile input through the gateway's real HTTP edge (body parser, limits guard, validation pipe, exception
 * filter, JWT guard, controllers), with the ticket-service standing in as a bus that answers what it would:
 * `rejected` (422) for an envelope that `checkCommandEnvelope` refuses, success otherwise. Whatever comes in,
 * the answer is 4xx in Dmart's envelope, never 5xx, and nothing the read side cannot store is published.
 */
const config = loadConfig({});
let app: INestApplication;
let published: CommandEnvelope[] = [];
const token = new JwtService({ secret: config.jwtSecret }).sign(
  { sub: 'alice', roles: ['agent'] },
  { algorithm: 'HS256', expiresIn: 600 },
);

const bus = {
  send: async (envelope: CommandEnvelope): Promise<CommandResult> => {
    const check = checkCommandEnvelope(envelope);
    if (!check.ok)
      return {
        command_id: envelope.command_id,
        status: 'rejected',
        error: { type: 'request', code: 422, message: check.reason },
      };
    published.push(envelope);
    return {
      command_id: envelope.command_id,
      status: 'succeeded',
      ticket: { uuid: 'u1', shortname: 'x1', subpath: envelope.subpath, state: 'draft' },
      position: '1',
    };
  },
};

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwtModule.register({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    ],
    controllers: [ManagedController, TicketActionsController, ManagedQueryController],
    providers: [
      { provide: APP_CONFIG, useValue: config },
      { provide: CommandBus, useValue: bus },
      { provide: TicketsReadModel, useValue: { findByKey: async () => null } },
      { provide: ReadYourWrites, useValue: { waitFor: async () => ({ reached: true }) } },
      {
        provide: TicketSearch,
        useValue: {
          search: async () => ({ documents: [], total: 0, ignored_fields: [], ignored_terms: [] }),
        },
      },
      { provide: TicketDashboard, useValue: {} },
      { provide: TicketHistoryReader, useValue: {} },
      JwtAuthGuard,
    ],
  }).compile();
  app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  configureHttpEdge(app as NestExpressApplication);
  await app.init();
});

afterAll(async () => {
  await app?.close();
});

beforeEach(() => {
  published = [];
});

/** POSTs a raw JSON text (so that bodies too deep for `JSON.stringify` can be sent). */
const post = (path: string, json: string) =>
  request(app.getHttpServer())
    .post(path)
    .set('authorization', `Bearer ${token}`)
    .set('content-type', 'application/json')
    .send(json);

const ticketRequest = (attributes: Record<string, unknown>, record: Record<string, unknown> = {}) => ({
  space_name: 'acme',
  request_type: 'create',
  records: [
    {
      resource_type: 'ticket',
      shortname: 'auto',
      subpath: 'tickets',
      attributes: { workflow_shortname: 'support', ...attributes },
      ...record,
    },
  ],
});

/** A create request whose `payload.body` is `depth` arrays (or objects) nested in each other, as text. */
function deepBody(depth: number, kind: 'array' | 'object'): string {
  const [open, close] = kind === 'array' ? ['[', ']'] : ['{"a":', '}'];
  const body = `${open.repeat(depth - 1)}${kind === 'array' ? '[]' : '{}'}${close.repeat(depth - 1)}`;
  return JSON.stringify(ticketRequest({ payload: { content_type: 'json', body: '@BODY@' } })).replace(
    '"@BODY@"',
    body,
  );
}

function expectRefused(response: request.Response, status: number, message?: RegExp): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({
    status: 'failed',
    error: expect.objectContaining({
      type: expect.any(String),
      code: status === 413 ? 413 : 422,
      message: message ? expect.stringMatching(message) : expect.any(String),
    }),
  });
}

describe('hostile input at the HTTP edge', () => {
  describe('nesting depth (user JSON at most 32 levels; the request adds 5)', () => {
    it.each(['array', 'object'] as const)(
      'accepts a payload body of 32 nested %ss and publishes a command the ticket-service accepts',
      async (kind) => {
        const response = await post('/managed/request', deepBody(32, kind));
        expect(response.status).toBe(200);
        expect(published).toHaveLength(1);
      },
    );

    it.each([33, 100, 1_000, 5_000, 20_000])(
      'refuses a payload body %i levels deep with 422 naming the limit and the path',
      async (depth) => {
        for (const kind of ['array', 'object'] as const) {
          const response = await post('/managed/request', deepBody(depth, kind));
          expectRefused(
            response,
            422,
            /^invalid request: nested deeper than 37 levels \(user JSON: at most 32\) at records\.0\.attributes\.payload\.body\./,
          );
          expect(response.body.error.info).toEqual([expect.objectContaining({ limit: 'too_deep', max: 37 })]);
        }
        expect(published).toEqual([]);
      },
    );

    it('refuses deep bodies on every route, before authentication and validation', async () => {
      const deep = `{"resolution": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
      const progress = request(app.getHttpServer())
        .put('/managed/progress-ticket/acme/tickets/t1/start')
        .set('content-type', 'application/json');
      expectRefused(await progress.send(deep), 422, /nested deeper/);
      expectRefused(
        await post(
          '/managed/query',
          `{"type": "search", "search": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
        ),
        422,
        /nested deeper/,
      );
    });
  });

  describe('sizes', () => {
    it('refuses a string over 32768 characters with 422, naming its path', async () => {
      const response = await post(
        '/managed/request',
        JSON.stringify(
          ticketRequest({ payload: { content_type: 'json', body: { note: 'x'.repeat(40_000) } } }),
        ),
      );
      expectRefused(
        response,
        422,
        /longer than 32768 characters at records\.0\.attributes\.payload\.body\.note$/,
      );
    });

    it('refuses one record over 192 KiB with 413 (code 413)', async () => {
      const body = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`part${i}`, 'x'.repeat(30_000)]));
      const response = await post(
        '/managed/request',
        JSON.stringify(ticketRequest({ payload: { content_type: 'json', body } })),
      );
      expectRefused(response, 413, /records\.0\.attributes is \d+ bytes of JSON; the limit is 196608$/);
    });

    it('refuses a request over 1 MiB with 413 (code 413)', async () => {
      const records = Array.from(
        { length: 40 },
        () =>
          ticketRequest({ payload: { content_type: 'json', body: { note: 'x'.repeat(30_000) } } }).records[0],
      );
      const response = await post(
        '/managed/request',
        JSON.stringify({ space_name: 'acme', request_type: 'create', records }),
      );
      expectRefused(response, 413, /^request body too large/);
    });

    it('refuses an array of more than 10000 items with 422', async () => {
      const response = await post(
        '/managed/request',
        JSON.stringify(ticketRequest({ payload: { content_type: 'json', body: new Array(10_001).fill(0) } })),
      );
      expectRefused(response, 422, /more than 10000 items at records\.0\.attributes\.payload\.body$/);
    });
  });

  describe('keys', () => {
    it.each([
      ['an empty key', '{"": 1}', /empty key/],
      ['__proto__', '{"__proto__": {"is_admin": true}}', /__proto__/],
      ['constructor', '{"a": {"constructor": 1}}', /"constructor" is not allowed/],
      ['prototype', '{"prototype": {"x": 1}}', /"prototype" is not allowed/],
      ['a NUL in a key', '{"a\\u0000b": 1}', /NUL/],
      ['a key of 300 characters', `{"${'k'.repeat(300)}": 1}`, /key is longer than 256/],
    ])('refuses %s in user JSON with 422', async (_, body, message) => {
      const json = JSON.stringify(
        ticketRequest({ payload: { content_type: 'json', body: '@BODY@' } }),
      ).replace('"@BODY@"', body);
      expectRefused(await post('/managed/request', json), 422, message);
      expect(published).toEqual([]);
    });

    it('stores $ and . keys of user JSON as data (the read models escape them)', async () => {
      const response = await post(
        '/managed/request',
        JSON.stringify(
          ticketRequest({
            payload: { content_type: 'json', body: { $where: 'sleep(1000)', 'a.b': { $gt: '' } } },
          }),
        ),
      );
      expect(response.status).toBe(200);
      expect(published[0].payload).toMatchObject({
        payload: { body: { $where: 'sleep(1000)', 'a.b': { $gt: '' } } },
      });
    });

    it('keeps keys named like Object.prototype methods (toString, valueOf...) at any depth, as sent', async () => {
      const body = { toString: 'x', a: { valueOf: [1], hasOwnProperty: { isPrototypeOf: null } } };
      const response = await post(
        '/managed/request',
        JSON.stringify(ticketRequest({ payload: { content_type: 'json', body } })),
      );
      expect(response.status).toBe(200);
      expect(JSON.stringify((published[0].payload as { payload: { body: unknown } }).payload.body)).toBe(
        JSON.stringify(body),
      );
    });
  });

  describe('operators and other types in typed fields are refused, never coerced', () => {
    const injections: unknown[] = [
      { $gt: '' },
      { $where: 'sleep(1000)' },
      { $ne: null },
      ['tickets'],
      7,
      true,
      null,
    ];
    const base = ticketRequest({ payload: { content_type: 'json', body: {} } });
    const record = base.records[0];
    const fields: [string, (v: unknown) => unknown][] = [
      ['space_name', (v) => ({ ...base, space_name: v })],
      ['request_type', (v) => ({ ...base, request_type: v })],
      ['records', (v) => ({ ...base, records: v })],
      ['records[0]', (v) => ({ ...base, records: [v] })],
      ['resource_type', (v) => ({ ...base, records: [{ ...record, resource_type: v }] })],
      ['shortname', (v) => ({ ...base, records: [{ ...record, shortname: v }] })],
      ['subpath', (v) => ({ ...base, records: [{ ...record, subpath: v }] })],
      ['attributes', (v) => ({ ...base, records: [{ ...record, attributes: v }] })],
      // null is "absent" for this ignored, optional field
      ['branch_name', (v) => ({ ...base, records: [{ ...record, branch_name: v === null ? 1 : v }] })],
      ['workflow_shortname', (v) => ticketRequest({ workflow_shortname: v })],
      ['tags', (v) => ticketRequest({ tags: [v] })],
      ['is_active', (v) => ticketRequest({ is_active: v === true ? 'true' : v })],
      ['payload.content_type', (v) => ticketRequest({ payload: { content_type: v } })],
      ['reporter.msisdn', (v) => ticketRequest({ reporter: { msisdn: v === null ? {} : v } })],
      ['collaborators', (v) => ticketRequest({ collaborators: { approve: v } })],
      ['displayname.en', (v) => ticketRequest({ displayname: { en: v === null ? 1 : v } })],
    ];
    it.each(fields)('in %s: 4xx', async (_, build) => {
      for (const value of injections) {
        const response = await post('/managed/request', JSON.stringify(build(value)));
        expect([400, 413, 422]).toContain(response.status);
        expect(response.body).toMatchObject({ status: 'failed', error: { code: expect.any(Number) } });
      }
      expect(published).toEqual([]);
    });

    it.each([
      ['search', { search: { $where: '1' } }],
      ['type', { type: { $gt: '' } }],
      ['space_name', { space_name: { $ne: null } }],
      ['subpath', { subpath: ['tickets'] }],
      ['limit', { limit: '10' }],
      ['exact_subpath', { exact_subpath: 'true' }],
      ['filter_tags', { filter_tags: [{ $gt: '' }] }],
      ['filter_shortnames', { filter_shortnames: 'x1' }],
      ['sort_by', { sort_by: { $natural: 1 } }],
    ])("in the query's %s: 422", async (_, override) => {
      const response = await post(
        '/managed/query',
        JSON.stringify({ type: 'search', space_name: 'acme', subpath: '/', ...override }),
      );
      expectRefused(response, 422);
    });

    it.each([
      ['resolution', { resolution: { $gt: '' } }],
      ['comment', { comment: 7 }],
    ])("in progress's %s: 422", async (_, body) => {
      const response = await request(app.getHttpServer())
        .put('/managed/progress-ticket/acme/tickets/t1/start')
        .set('authorization', `Bearer ${token}`)
        .send(body);
      expectRefused(response, 422);
    });

    it('refuses subpath "//" (it would be the space root) with 422', async () => {
      const response = await post(
        '/managed/request',
        JSON.stringify({ ...base, records: [{ ...record, subpath: '//' }] }),
      );
      expectRefused(response, 422, /subpath/);
      expect(published).toEqual([]);
    });

    it.each([
      ['dest_subpath', { dest_subpath: 7 }],
      ['dest_subpath', { dest_subpath: '//' }],
      ['dest_shortname', { dest_shortname: 7 }],
      ['src_subpath', { src_subpath: ['a'] }],
      ['src_shortname', { src_shortname: { $ne: null } }],
      ['dest_space_name', { dest_space_name: true }],
    ])('refuses a move whose %s is %p with 422', async (_, attributes) => {
      const move = {
        space_name: 'acme',
        request_type: 'move',
        records: [{ resource_type: 'ticket', shortname: 't1', subpath: 'tickets', attributes }],
      };
      const response = await post('/managed/request', JSON.stringify(move));
      expectRefused(response, 422, new RegExp(_));
      expect(published).toEqual([]);
    });

    it('still moves with string attributes', async () => {
      const move = {
        space_name: 'acme',
        request_type: 'move',
        records: [
          { resource_type: 'ticket', shortname: 't1', subpath: 'tickets', attributes: { dest_subpath: '7' } },
        ],
      };
      expect((await post('/managed/request', JSON.stringify(move))).status).toBe(200);
      expect(published[0].payload).toEqual({ to: { subpath: '7' } });
    });
  });

  it('answers bodies that are not JSON objects with 4xx', async () => {
    for (const body of ['[]', '"text"', '7', 'null', '{"space_name": ', '{"a": 1}}']) {
      const response = await post('/managed/request', body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  });
});
