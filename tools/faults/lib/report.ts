import type { Findings } from './verify';

/** One injected fault and how long the system took to serve a full round trip again. */
export interface FaultRecord {
  readonly fault: string;
  /** Commands answered when the fault was injected. */
  readonly at_commands: number;
  /** ms from the fault until a new ticket, created through the gateway, was readable from the read model. */
  readonly recovery_ms: number | null;
}

/** The campaign's result file (`bench/results/faults-<stamp>.json`). */
export interface FaultsResult {
  readonly started_at: string;
  readonly duration_s: number;
  readonly code: string;
  readonly params: {
    readonly commands: number;
    readonly tickets: number;
    readonly http_tickets: number;
    readonly kafka_tickets: number;
  };
  readonly faults: readonly FaultRecord[];
  readonly findings: Findings;
  readonly passed: boolean;
}

/** Whether the findings show no loss, no duplicate, identical answers, and a read model equal to the replay. */
export function passed(f: Findings): boolean {
  return (
    f.lost === 0 &&
    f.duplicated === 0 &&
    f.differing_answers === 0 &&
    f.unanswered === 0 &&
    f.read_model_mismatches === 0 &&
    f.counter_mismatches === 0 &&
    f.incomplete_tickets === 0
  );
}

/** The Markdown report (also printed). */
export function renderFaults(r: FaultsResult): string {
  const f = r.findings;
  const s = (ms: number | null) => (ms === null ? 'not recovered' : `${(ms / 1000).toFixed(1)} s`);
  return [
    `#### Fault campaign ${r.started_at} (${r.duration_s.toFixed(0)} s) — ${r.passed ? 'PASSED' : 'FAILED'}`,
    '',
    `Code ${r.code}. ${r.params.commands} commands on ${r.params.tickets} tickets (create, start, resolve, reopen): ` +
      `${r.params.http_tickets} tickets through the gateway (Idempotency-Key, resent after errors), ${r.params.kafka_tickets} straight to Kafka ` +
      '(re-published when unanswered). Servers of its own (`.local/faults`), loopback only.',
    '',
    '| fault | injected after (answered commands) | recovery |',
    '| --- | --- | --- |',
    ...r.faults.map((x) => `| ${x.fault} | ${x.at_commands} | ${s(x.recovery_ms)} |`),
    '',
    '| check | result |',
    '| --- | --- |',
    `| commands answered succeeded / rejected / unanswered | ${f.succeeded} / ${f.rejected} / ${f.unanswered} |`,
    `| commands lost (answered, no effect) | **${f.lost}** |`,
    `| effects duplicated | **${f.duplicated}** |`,
    `| answers differing between deliveries | **${f.differing_answers}** (of ${f.repeated_answers} commands answered more than once) |`,
    `| tickets not in their final state | ${f.incomplete_tickets} |`,
    `| read model != replay (state, is_open, revision) | **${f.read_model_mismatches}** |`,
    `| counters != recount | **${f.counter_mismatches}** |`,
    ...(f.examples.length ? ['', 'First problems:', '', ...f.examples.map((e) => `- ${e}`)] : []),
    '',
  ].join('\n');
}
