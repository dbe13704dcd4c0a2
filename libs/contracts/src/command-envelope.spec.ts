import { randomUUID } from 'node:crypto';
import { checkCommandEnvelope } from './command-envelope';

const envelope = (overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = { action: 'start' }) => ({
  command_id: randomUUID(),
  type: 'ProgressTicket',
  space_name: 'space',
  subpath: 'tickets',
  shortname: 't1',
  actor: { shortname: 'svc', roles: ['agent'] },
  issued_at: '2026-11-30T08:00:00.000Z',
  correlation_id: 'c1',
  payload,
  ...overrides,
});

describe('the v1 command envelope (ARCHITECTURE.md "Kafka contract")', () => {
  it('accepts a well-formed command', () => {
    expect(checkCommandEnvelope(envelope()).ok).toBe(true);
  });

  it('accepts Arabic shortnames with their marks (TICKETS.md section 1)', () => {
    expect(checkCommandEnvelope(envelope({ shortname: 'مُحَمَّد' })).ok).toBe(true);
  });

  it('refuses a value that is not JSON, saying so', () => {
    const check = checkCommandEnvelope('{not json');
    expect(check).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
  });

  it('refuses a NUL character anywhere, naming its path', () => {
    const check = checkCommandEnvelope(envelope({}, { action: 'start', comment: 'a\u0000b' }));
    expect(check).toMatchObject({ ok: false, errors: [{ path: '/payload/comment' }] });
  });

  it.each([['../../etc'], ['a b'], ['a/./b']])('refuses the move destination subpath %p', (subpath) => {
    const check = checkCommandEnvelope(envelope({ type: 'MoveTicket' }, { to: { subpath } }));
    expect(check.ok).toBe(false);
  });

  it('refuses a create without workflow_shortname, naming the field', () => {
    const check = checkCommandEnvelope(envelope({ type: 'CreateTicket', shortname: 'auto' }, {}));
    expect(check).toMatchObject({ ok: false, reason: expect.stringContaining('workflow_shortname') });
  });

  it('leaves a missing workflow body to the domain (code 218)', () => {
    const check = checkCommandEnvelope(envelope({ type: 'DefineWorkflow', subpath: 'workflows', shortname: 'wf' }, { mode: 'create' }));
    expect(check.ok).toBe(true);
  });

  describe('hostile input (the read side must be able to store whatever is accepted)', () => {
    const create = (body: unknown, attributes: Record<string, unknown> = {}) =>
      envelope({ type: 'CreateTicket', shortname: 'auto' }, { workflow_shortname: 'support', payload: { content_type: 'json', body }, ...attributes });

    it('accepts a body 32 levels deep', () => {
      expect(checkCommandEnvelope(create(nestedArrays(32))).ok).toBe(true);
      expect(checkCommandEnvelope(JSON.stringify(create(nestedObjects(32)))).ok).toBe(true);
    });

    it.each([33, 100, 1_000, 5_000, 20_000])('rejects a body %i levels deep, parsed or as bytes, naming the limit and the path', (depth) => {
      const parsed = checkCommandEnvelope(create(nestedArrays(depth)));
      expect(parsed).toMatchObject({ ok: false, reason: expect.stringContaining('nested deeper than 35 levels') });
      expect(parsed.ok || parsed.errors[0].path.startsWith('/payload/payload/body/0/0')).toBe(true);
      const text = '{"command_id":"' + randomUUID() + '","type":"CreateTicket","space_name":"s","subpath":"t","shortname":"auto",' +
        '"actor":{"shortname":"svc","roles":[]},"issued_at":"2026-11-30T08:00:00.000Z","correlation_id":"c",' +
        `"payload":{"workflow_shortname":"w","payload":{"content_type":"json","body":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
      expect(checkCommandEnvelope(Buffer.from(text))).toMatchObject({ ok: false, reason: expect.stringContaining('nested deeper') });
    });

    it('rejects a command over the size limit, parsed or as bytes', () => {
      const big = create(Array.from({ length: 10 }, () => 'x'.repeat(30_000)));
      expect(checkCommandEnvelope(big)).toMatchObject({ ok: false, reason: expect.stringContaining('the limit is 262144') });
      expect(checkCommandEnvelope(JSON.stringify(big))).toMatchObject({ ok: false, reason: expect.stringContaining('bytes of JSON') });
    });

    it('rejects a huge string, a huge array, an empty key and __proto__', () => {
      expect(checkCommandEnvelope(create({ text: 'x'.repeat(40_000) })).ok).toBe(false);
      expect(checkCommandEnvelope(create(new Array(10_001).fill(1))).ok).toBe(false);
      expect(checkCommandEnvelope(create(JSON.parse('{"": 1}')))).toMatchObject({ ok: false, errors: [{ path: '/payload/payload/body' }] });
      expect(checkCommandEnvelope(JSON.stringify(create(JSON.parse('{"__proto__": {"x": 1}}')))).ok).toBe(false);
    });

    it('keeps $ and . keys of user JSON as data (stored escaped)', () => {
      expect(checkCommandEnvelope(create({ $where: 'sleep(100)', 'a.b': { $gt: '' } })).ok).toBe(true);
    });

    const injections = [{ $gt: '' }, { $where: 'sleep(1000)' }, { $ne: null }, ['a'], 7, true, null];
    const typedFields: [string, (v: unknown) => Record<string, unknown>][] = [
      ['command_id', (v) => envelope({ command_id: v })],
      ['type', (v) => envelope({ type: v })],
      ['space_name', (v) => envelope({ space_name: v })],
      ['subpath', (v) => envelope({ subpath: v })],
      ['shortname', (v) => envelope({ shortname: v })],
      ['actor', (v) => envelope({ actor: v })],
      ['actor.shortname', (v) => envelope({ actor: { shortname: v, roles: [] } })],
      ['actor.roles[]', (v) => envelope({ actor: { shortname: 'svc', roles: [v] } })],
      ['issued_at', (v) => envelope({ issued_at: v })],
      ['correlation_id', (v) => envelope({ correlation_id: v })],
      ['payload', (v) => envelope({ payload: v })],
      ['progress action', (v) => envelope({}, { action: v })],
      ['create workflow_shortname', (v) => create({}, { workflow_shortname: v })],
      ['create tags[]', (v) => create({}, { tags: [v] })],
      ['create is_active', (v) => create({}, { is_active: v })],
      ['create reporter.msisdn', (v) => create({}, { reporter: { msisdn: v } })],
      ['create collaborators value', (v) => create({}, { collaborators: { approve: v } })],
      ['assign owner', (v) => envelope({ type: 'AssignTicket' }, { owner_shortname: v })],
      ['comment body', (v) => envelope({ type: 'AddComment' }, { body: v })],
      ['move destination subpath', (v) => envelope({ type: 'MoveTicket' }, { to: { subpath: v } })],
    ];
    it.each(typedFields)('rejects operators and other types in %s', (_, build) => {
      // Dmart's reporter members are nullable; is_active is a boolean.
      const valid = _ === 'create reporter.msisdn' ? [null] : _ === 'create is_active' ? [true] : [];
      for (const value of injections.filter((v) => !valid.includes(v as never))) {
        expect(checkCommandEnvelope(build(value))).toMatchObject({ ok: false });
      }
    });

    it('refuses a subpath of slashes only ("//" would be the space root)', () => {
      expect(checkCommandEnvelope(envelope({ subpath: '//' })).ok).toBe(false);
      expect(checkCommandEnvelope(envelope({ type: 'MoveTicket' }, { to: { subpath: '//' } })).ok).toBe(false);
      expect(checkCommandEnvelope(envelope({ subpath: '/' })).ok).toBe(true);
      expect(checkCommandEnvelope(envelope({ subpath: '/a//b/' })).ok).toBe(true);
    });
  });
});

/** `depth` arrays nested in each other, built without recursion. */
function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/** `depth` objects nested in each other. */
function nestedObjects(depth: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}
