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
});
