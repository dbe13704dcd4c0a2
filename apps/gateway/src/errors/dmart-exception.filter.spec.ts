import { BadRequestException, Logger, NotFoundException, ServiceUnavailableException, type ArgumentsHost } from '@nestjs/common';
import { NotFoundError } from '@tickets/domain';
import { DmartException } from './dmart-exception';
import { DmartExceptionFilter } from './dmart-exception.filter';

/** Runs the filter on `exception` and returns what it answered. */
function answer(exception: unknown): { status: number; body: any } {
  const sent: { status: number; body: any } = { status: 0, body: undefined };
  const response = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new DmartExceptionFilter().catch(exception, host);
  return sent;
}

/** An error as body-parser throws it (http-errors). */
function bodyParserError(status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type, ...extra });
}

describe('the error mapping', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('answers a body over the limit with 413 and code 413, naming the limit', () => {
    const { status, body } = answer(bodyParserError(413, 'entity.too.large', 'request entity too large', { limit: 102400, length: 204800 }));
    expect(status).toBe(413);
    expect(body).toEqual({
      status: 'failed',
      error: { type: 'request', code: 413, message: 'request body too large (204800 bytes; the limit is 102400 bytes)' },
    });
  });

  it('answers a body that is not JSON (Nest maps the parser SyntaxError to a BadRequestException) with 400 and code 422', () => {
    const { status, body } = answer(new BadRequestException('Unexpected end of JSON input'));
    expect(status).toBe(400);
    expect(body.error).toEqual({ type: 'request', code: 422, message: 'Unexpected end of JSON input' });
  });

  it('keeps any other 4xx status an error carries, with code 422', () => {
    const { status, body } = answer(bodyParserError(415, 'encoding.unsupported', 'unsupported content encoding "br"'));
    expect(status).toBe(415);
    expect(body.error).toMatchObject({ code: 422, message: expect.stringContaining('unsupported content encoding') });
  });

  it('lets the health check answer through unchanged, naming the dependency that is down', () => {
    const health = {
      status: 'error',
      info: { mongodb: { status: 'up' } },
      error: { kafka: { status: 'down', message: 'Connection error' } },
      details: { mongodb: { status: 'up' }, kafka: { status: 'down', message: 'Connection error' } },
    };
    expect(answer(new ServiceUnavailableException(health))).toEqual({ status: 503, body: health });
  });

  it('keeps Dmart errors, domain errors and routing errors in the envelope', () => {
    expect(answer(new DmartException({ type: 'internal', code: 99, message: 'late' }, 504))).toEqual({
      status: 504,
      body: { status: 'failed', error: { type: 'internal', code: 99, message: 'late' } },
    });
    expect(answer(new NotFoundError('ticket acme/t/x not found'))).toMatchObject({ status: 404, body: { error: { code: 220 } } });
    expect(answer(new NotFoundException('Cannot GET /nope'))).toMatchObject({ status: 404, body: { error: { code: 220 } } });
  });

  it.each([
    ['MongoDB is unreachable', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoServerSelectionError' })],
    ['PostgreSQL is unreachable', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' })],
  ])('answers 503 and code 99 when %s, so clients retry', (_, error) => {
    expect(answer(error)).toEqual({
      status: 503,
      body: { status: 'failed', error: { type: 'internal', code: 99, message: 'a data store is unreachable; retry later' } },
    });
  });

  it('answers 503 and code 99 while the text index of bare-word search is being built', () => {
    const missing = Object.assign(new Error('text index required for $text query'), { name: 'MongoServerError', code: 27 });
    expect(answer(missing)).toMatchObject({ status: 503, body: { error: { code: 99, message: expect.stringContaining('full-text search is not ready') } } });
  });

  it('answers anything else with 500 and code 99, without details', () => {
    expect(answer(new RangeError('secret detail'))).toEqual({
      status: 500,
      body: { status: 'failed', error: { type: 'internal', code: 99, message: 'unexpected error' } },
    });
    expect(answer(Object.assign(new Error('x'), { status: 502 })).status).toBe(500);
  });
});
