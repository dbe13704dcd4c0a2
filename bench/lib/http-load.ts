import http from 'node:http';
import autocannon, { type AutocannonResult } from 'autocannon';
import type { ReadModelWatcher } from './readmodel-watch';
import { Recorder, type RunResult } from './recorder';
import { now, round, sleep } from './stats';
import { createRequestBody, progressPath, ticketDocId, type Mix, type Op } from './workload';

/**
 * Load through the gateway's HTTP API.
 * - {@link httpClosedLoop}: autocannon with `connections` keep-alive connections, each sending its next
 *   command as soon as the previous one is answered (the gateway answers once the command's result is
 *   back, so the response time is request -> result). Throughput at increasing concurrency.
 * - {@link httpFixedRate}: an open-loop client sending at a fixed rate, evenly spaced, whatever the
 *   answers do; latency is measured from each request's scheduled time, so a stall shows as latency
 *   rather than as fewer requests (no coordinated omission). autocannon's own rate limit releases every
 *   connection's per-second quota in a burst at the start of each second, which would measure its bursts.
 */
export interface HttpTarget {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly space: string;
  readonly mix: Mix;
  readonly watcher: ReadModelWatcher | null;
}

const HEADERS = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

function watchTarget(op: Op) {
  // The gateway's answer carries no position: a ticket's own revision says the same for its document.
  return { revision: op.kind === 'create' ? 0 : 1 };
}

/**
 * autocannon keeps `connections` busy for `durationS`; the figures count commands answered inside
 * [warm-up, duration] (throughput) and the latency of every command started inside it. Those still in
 * flight at the end are waited for (up to `tailCapS`) while autocannon keeps the same load on, so the slow
 * ones are not cut off; then autocannon is stopped.
 */
export async function httpClosedLoop(
  target: HttpTarget,
  connections: number,
  durationS: number,
  warmupS: number,
  tailCapS: number,
  watchGraceMs?: number,
): Promise<RunResult> {
  const { space, mix } = target;
  const start = now();
  const windowEnd = start + durationS * 1000;
  const recorder = new Recorder(start + warmupS * 1000, windowEnd, target.watcher);
  let pending = 0;
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${target.host}:${target.port}`,
        connections,
        duration: durationS + tailCapS,
        sampleInt: 50,
        pipelining: 1,
        timeout: 30,
        headers: HEADERS(target.token),
        requests: [
          {
            setupRequest: (request, context) => {
              const op = mix.next();
              const t0 = now();
              context['op'] = op;
              context['t0'] = t0;
              context['counted'] = recorder.inWindow(t0);
              if (context['counted']) pending++;
              return op.kind === 'create'
                ? {
                    ...request,
                    method: 'POST',
                    path: '/managed/request',
                    body: createRequestBody(space, op.shortname),
                  }
                : { ...request, method: 'PUT', path: progressPath(space, op.shortname), body: '{}' };
            },
            onResponse: (status, _body, context) => {
              const t1 = now();
              const op = context['op'] as Op;
              if (context['counted']) pending--;
              if (status === 200) {
                if (op.kind === 'create') mix.created(op.shortname);
                recorder.success(
                  op.kind,
                  context['t0'] as number,
                  t1,
                  ticketDocId(space, op.shortname),
                  watchTarget(op),
                );
              } else {
                recorder.failure(`HTTP ${status}`);
              }
            },
          },
        ],
      },
      (error, res) => {
        clearInterval(tail);
        if (error) reject(error);
        else resolve(res);
      },
    );
    const tail = setInterval(() => {
      if (now() >= windowEnd && pending <= 0) {
        clearInterval(tail);
        instance.stop();
      }
    }, 20);
  });
  for (let i = 0; i < result.timeouts; i++) recorder.failure('client timeout (30 s)');
  for (let i = 0; i < result.errors - result.timeouts; i++) recorder.failure('connection error');
  return recorder.finish({ unfinished: Math.max(0, pending), watchGraceMs });
}

/**
 * Calls `fire(scheduledAt)` `rate` times per second, evenly spaced, for `durationMs`; `fire` must not block.
 * @returns how many were fired and over how long.
 */
export async function paced(
  rate: number,
  durationMs: number,
  fire: (scheduledAt: number) => void,
): Promise<{ sent: number; elapsedMs: number }> {
  const start = now();
  let sent = 0;
  for (;;) {
    const elapsed = now() - start;
    if (elapsed >= durationMs) break;
    // Command k is due at k / rate (the first at once); each is stamped with its due time, not its send time.
    const due = Math.min(Math.floor((elapsed * rate) / 1000) + 1, Math.ceil((durationMs * rate) / 1000));
    while (sent < due) {
      fire(start + (sent * 1000) / rate);
      sent++;
    }
    // Sleep until the next one is due (timers fire ~1 ms late at best; a late one goes out at once).
    await sleep(Math.max(0, start + (sent * 1000) / rate - now()));
  }
  return { sent, elapsedMs: now() - start };
}

export async function httpFixedRate(
  target: HttpTarget,
  rate: number,
  durationS: number,
  warmupS: number,
  watchGraceMs?: number,
): Promise<RunResult> {
  const { space, mix } = target;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2048 });
  const inFlight = new Set<Promise<void>>();
  const start = now();
  const recorder = new Recorder(start + warmupS * 1000, start + durationS * 1000, target.watcher);
  const send = (op: Op, t0: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const body = op.kind === 'create' ? createRequestBody(space, op.shortname) : '{}';
      const req = http.request(
        {
          host: target.host,
          port: target.port,
          method: op.kind === 'create' ? 'POST' : 'PUT',
          path: op.kind === 'create' ? '/managed/request' : progressPath(space, op.shortname),
          headers: { ...HEADERS(target.token), 'content-length': Buffer.byteLength(body) },
          agent,
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const t1 = now();
            if (res.statusCode === 200) {
              if (op.kind === 'create') mix.created(op.shortname);
              recorder.success(op.kind, t0, t1, ticketDocId(space, op.shortname), watchTarget(op));
            } else {
              recorder.failure(`HTTP ${res.statusCode}`);
            }
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => {
        recorder.failure(error.message === 'timeout' ? 'client timeout (30 s)' : 'connection error');
        resolve();
      });
      req.end(body);
    });
  const { sent, elapsedMs } = await paced(rate, durationS * 1000, (scheduledAt) => {
    const p = send(mix.next(), scheduledAt).finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  await Promise.all([...inFlight]);
  agent.destroy();
  return recorder.finish({
    target_rate: round(rate, 1),
    sent_rate: round(sent / (elapsedMs / 1000), 1),
    watchGraceMs,
  });
}
