import { round } from '../lib/stats';
import { LOAD_GENERATOR, type CpuPerCommand, type LevelResult } from '../lib/types';
import type { BenchContext } from './context';

/**
 * Phase 4, resources, from what the end-to-end runs sampled: peak memory per process over every run, and
 * CPU milliseconds per command (utime + stime over the measured windows / commands completed in them) of
 * each sustained and half-rate level, summed over the system under test, split per process, the load
 * generator apart.
 */
export function summarizeResources(ctx: BenchContext): void {
  const { result, groups, notes } = ctx;
  const labelled: [string, LevelResult | null | undefined][] = [];
  for (const [name, p] of [
    ['HTTP', result.http],
    ['Kafka direct', result.kafka],
  ] as const) {
    if (!p) continue;
    const sustained = p.levels.find((l) => l.concurrency === p.sustained?.concurrency);
    labelled.push([
      `${name} sustained (${name === 'HTTP' ? 'c' : 'in flight'}=${p.sustained?.concurrency})`,
      sustained,
    ]);
    if (p.half_rate) labelled.push([`${name} half rate (${p.half_rate.rate}/s)`, p.half_rate]);
  }
  const levels = [
    ...(result.http?.levels ?? []),
    ...(result.http?.half_rate ? [result.http.half_rate] : []),
    ...(result.kafka?.levels ?? []),
    ...(result.kafka?.half_rate ? [result.kafka.half_rate] : []),
  ];
  for (const g of groups) {
    const peaks = levels
      .map((l) => l.usage?.groups[g.name]?.peak_rss_mb)
      .filter((v): v is number => typeof v === 'number');
    const source =
      levels.map((l) => l.usage?.groups[g.name]?.source).find((s) => s && s !== 'none') ?? 'none';
    result.resources[g.name] = { peak_rss_mb: peaks.length ? Math.max(...peaks) : null, source };
  }
  result.cpu_per_command = labelled
    .filter((x): x is [string, LevelResult] => Boolean(x[1]?.usage))
    .map(([phase, l]) => cpuPerCommand(phase, l));
  const sustainedLevel = labelled[0]?.[1];
  result.machine_busy_share_at_sustained = sustainedLevel?.usage?.machine_busy_share ?? null;
  const first = result.cpu_per_command[0];
  if (first?.everything_else_ms != null && first.system_ms != null) {
    const ours = first.system_ms + (first.load_generator_ms ?? 0);
    if (first.everything_else_ms > 0.25 * (ours + first.everything_else_ms)) {
      notes.push(
        `During the ${first.phase} windows other processes took ${first.everything_else_ms} ms of CPU per command against ${round(ours, 2)} ms of the system under test and the bench: they competed with the run.`,
      );
    }
  }
}

/** CPU ms per command of one level, from its measured windows. */
export function cpuPerCommand(phase: string, level: LevelResult): CpuPerCommand {
  const w = level.usage!.window;
  const per = (cpuS: number | null | undefined) =>
    cpuS == null || w.commands === 0 ? null : round((cpuS * 1000) / w.commands, 3);
  const perProcess = Object.fromEntries(Object.entries(w.cpu_seconds).map(([name, c]) => [name, per(c)]));
  const system = Object.entries(w.cpu_seconds).filter(([name]) => name !== LOAD_GENERATOR);
  const systemCpu = system.some(([, c]) => c !== null) ? system.reduce((s, [, c]) => s + (c ?? 0), 0) : null;
  const allCpu = Object.values(w.cpu_seconds).reduce<number>((s, c) => s + (c ?? 0), 0);
  return {
    phase,
    commands: w.commands,
    window_s: w.seconds,
    system_ms: per(systemCpu),
    load_generator_ms: per(w.cpu_seconds[LOAD_GENERATOR]),
    per_process_ms: perProcess,
    everything_else_ms:
      w.machine_busy_cpu_s === null ? null : per(Math.max(0, w.machine_busy_cpu_s - allCpu)),
  };
}
