import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import mongoose from 'mongoose';
import { createEventStore } from '@tickets/event-store';
import { ReadModelAliases } from '@tickets/read-models';
import { passed, renderFaults, type FaultRecord, type FaultsResult } from './lib/report';
import { SystemUnderFault, type ServerName, type ServiceName } from './lib/system';
import { verify } from './lib/verify';
import {
  HttpDriver,
  httpStep,
  KafkaDriver,
  kafkaStep,
  TICKET_STEPS,
  workflowCommand,
  newRecord,
  type CommandRecord,
} from './lib/workload';

/**
 * `npm run faults [-- --commands 10000]`: the fault campaign. On servers of its own, it sends the workload
 * (half the tickets through the gateway, half straight to Kafka), kills each service with SIGKILL in turn and
 * restarts the Kafka broker, PostgreSQL and mongod, then checks from the event store and the read model:
 * commands lost, effects duplicated, answers differing between deliveries, read model equal to a replay, and
 * the time to recover after each fault. Prints a table and writes bench/results/faults-<stamp>.{json,md}.
 * Exits 1 when a check fails. Bounded: every wait has a deadline.
 */
const ROOT = resolve(__dirname, '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAULTS: readonly {
  readonly name: string;
  readonly kind: 'service' | 'server';
  readonly target: ServiceName | ServerName;
}[] = [
  { name: 'kill -9 ticket-service', kind: 'service', target: 'ticket-service' },
  { name: 'kill -9 gateway', kind: 'service', target: 'gateway' },
  { name: 'restart Kafka broker', kind: 'server', target: 'kafka' },
  { name: 'restart PostgreSQL', kind: 'server', target: 'postgres' },
  { name: 'restart mongod', kind: 'server', target: 'mongod' },
  // Last: its recovery includes catching up on everything written while it was down.
  { name: 'kill -9 projection-service', kind: 'service', target: 'projection-service' },
];
/** Every DUPLICATE_EVERY-th command is delivered twice on purpose (Kafka: published again; HTTP: resent with its key). */
const DUPLICATE_EVERY = 7;
const COMMAND_DEADLINE_MS = 240_000;

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Runs `work` over `items` with at most `concurrency` at once. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const commands = Math.round(argument('commands', 10_000) / TICKET_STEPS.length) * TICKET_STEPS.length;
  const ticketCount = commands / TICKET_STEPS.length;
  const space = 'faults';
  const probeSpace = 'faults_probe';
  const system = new SystemUnderFault();
  process.stdout.write(`[faults] starting servers (${system.localDir}) and services\n`);
  const env = system.serviceEnv();
  const kafka = new KafkaDriver(env.KAFKA_BROKERS);
  const http = new HttpDriver(() => system.gatewayUrl);
  const records: CommandRecord[] = [];
  const faults: FaultRecord[] = [];
  try {
    await system.start();
    Object.assign(env, system.serviceEnv()); // the services' ports are known now
    await kafka.start();
    for (const s of [space, probeSpace]) {
      const define = workflowCommand(s);
      const record = newRecord(define.command_id, 'kafka');
      await kafka.send(define, record, 60_000);
      if (record.outcome !== 'succeeded')
        throw new Error(
          `the workflow of ${s} was not defined: ${kafka.answersOf(define.command_id)[0] ?? 'no answer'}`,
        );
    }

    const tickets = Array.from({ length: ticketCount }, (_, i) => `f${i}`);
    const answered = () => records.filter((r) => r.outcome !== 'unanswered' || r.answers.length > 0).length;
    let probes = 0;
    /** Time until a new ticket created through the gateway is readable from the read model. */
    const recovery = async (since: number): Promise<number | null> => {
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        const shortname = `p${probes++}`;
        const { method, path, body } = httpStep(probeSpace, shortname, 0);
        const record = newRecord(`probe-${shortname}-${Date.now()}`, 'http', shortname);
        await http.send(method, path, body, record, 20_000);
        if (record.outcome === 'succeeded') {
          const read = await http.get(`/managed/entry/ticket/${probeSpace}/tickets/${shortname}`);
          if (read?.status === 200) return Date.now() - since;
        }
        await sleep(100);
      }
      return null;
    };

    let workloadDone = false;
    const faulting = (async () => {
      for (const [i, fault] of FAULTS.entries()) {
        const threshold = Math.round((commands * (i + 1)) / (FAULTS.length + 2));
        while (answered() < threshold && !workloadDone) await sleep(100);
        if (workloadDone)
          process.stdout.write(`[faults] workload finished early; injecting "${fault.name}" after it\n`);
        const at = answered();
        const t0 = Date.now();
        process.stdout.write(`[faults] ${fault.name} (after ${at} answered commands)\n`);
        if (fault.kind === 'service') await system.killAndRestart(fault.target as ServiceName);
        else await system.infra('restart', fault.target);
        const ms = await recovery(t0);
        process.stdout.write(`[faults]   recovered in ${ms === null ? 'never (180 s bound)' : `${ms} ms`}\n`);
        faults.push({ fault: fault.name, at_commands: at, recovery_ms: ms });
      }
    })();

    const httpTickets = tickets.filter((_, i) => i % 2 === 0);
    const kafkaTickets = tickets.filter((_, i) => i % 2 === 1);
    const life = async (shortname: string, path: 'http' | 'kafka') => {
      for (let step = 0; step < TICKET_STEPS.length; step++) {
        const command = kafkaStep(space, shortname, step);
        const request = httpStep(space, shortname, step);
        const record = newRecord(
          path === 'kafka' ? command.command_id : `${shortname}-${step}-${started}`,
          path,
          shortname,
          step,
        );
        /** One delivery; `again`: a duplicate on purpose (Kafka waits for a second answer, HTTP resends its key). */
        const deliver = (again: boolean) =>
          path === 'kafka'
            ? kafka.send(command, record, COMMAND_DEADLINE_MS, { again })
            : http.send(request.method, request.path, request.body, record, COMMAND_DEADLINE_MS);
        records.push(record);
        await deliver(false);
        if (record.outcome !== 'succeeded') return;
        if (records.length % DUPLICATE_EVERY === 0) await deliver(true);
      }
    };
    await Promise.all([
      pool(httpTickets, 24, (t) => life(t, 'http')),
      pool(kafkaTickets, 48, (t) => life(t, 'kafka')),
    ]);
    workloadDone = true;
    await faulting;
    process.stdout.write(`[faults] workload done: ${records.length} commands; waiting for the read model\n`);

    // Late duplicates (re-published commands answered twice) count as answers too.
    await sleep(3000);
    for (const record of records)
      if (record.path === 'kafka')
        record.answers.splice(0, record.answers.length, ...kafka.answersOf(record.command_id));

    const store = await createEventStore({
      kind: 'postgres',
      url: env.POSTGRES_URL,
      schema: process.env.POSTGRES_SCHEMA ?? 'event_store',
    });
    const connection = await mongoose
      .createConnection(env.MONGODB_URI, { serverSelectionTimeoutMS: 10_000 })
      .asPromise();
    try {
      const generation = await new ReadModelAliases(connection).resolve();
      const readModel = {
        tickets: connection.db!.collection(generation.collections.tickets),
        counters: connection.db!.collection(generation.collections.ticket_counters),
      };
      // The read model converges: wait (bounded) until the head event is projected.
      const head = await store.headPosition();
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const newest = await readModel.tickets.find({}).sort({ last_position: -1 }).limit(1).next();
        if (head === null || (newest && BigInt(newest.last_position) >= head)) break;
        await sleep(250);
      }
      await sleep(1000); // counters of the last batch
      const findings = await verify(store, readModel, space, tickets, records);
      const result: FaultsResult = {
        started_at: new Date(started).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
        duration_s: (Date.now() - started) / 1000,
        code: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim(),
        params: {
          commands,
          tickets: ticketCount,
          http_tickets: httpTickets.length,
          kafka_tickets: kafkaTickets.length,
        },
        faults,
        findings,
        passed: passed(findings) && faults.every((f) => f.recovery_ms !== null),
      };
      const text = renderFaults(result);
      process.stdout.write(`\n${text}\n`);
      const dir = resolve(ROOT, 'bench/results');
      mkdirSync(dir, { recursive: true });
      const stamp = new Date(started).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', 'T');
      writeFileSync(resolve(dir, `faults-${stamp}Z.json`), `${JSON.stringify(result, null, 2)}\n`);
      writeFileSync(resolve(dir, `faults-${stamp}Z.md`), text);
      writeFileSync(resolve(dir, 'latest.faults.md'), text);
      process.exitCode = result.passed ? 0 : 1;
    } finally {
      await connection.close();
      await store.close();
    }
  } finally {
    await kafka.stop();
    await system.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[faults] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
