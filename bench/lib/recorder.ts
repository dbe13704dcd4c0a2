import type { ReadModelWatcher, WatchTarget } from './readmodel-watch';
import { round, summarize, type LatencySummary } from './stats';
import type { OpKind } from './workload';

/** One load run's outcome (HTTP or Kafka, closed loop or fixed rate). */
export interface RunResult {
  /** Length of the measured window, seconds (after the warm-up). */
  readonly window_s: number;
  /** The window's edges on the bench's clock (`performance.now()` ms), to take the CPU used inside it. */
  readonly window_start_ms: number;
  readonly window_end_ms: number;
  /** Commands whose result was a success and arrived inside the window. */
  readonly commands_ok: number;
  readonly commands_per_s: number;
  readonly creates_ok: number;
  readonly progress_ok: number;
  /** Successful commands over the whole run, warm-up and tail included (for CPU per command). */
  readonly commands_ok_total: number;
  /** Failed/refused commands by reason (HTTP status or result status), over the whole run. */
  readonly errors: Record<string, number>;
  readonly error_share: number;
  /** Request -> result, ms, of commands started inside the window. */
  readonly result_latency_ms: LatencySummary | null;
  /** Request -> read model shows it, ms, sampled (see ReadModelWatcher). */
  readonly readmodel_latency_ms: LatencySummary | null;
  /** Read-model samples that are lower bounds (the write was not seen before the watch ended). */
  readonly readmodel_lower_bounds: number;
  /** Point reads of ticket documents the watcher made (its own load on the read model). */
  readonly readmodel_document_reads: number;
  /** Commands started in the window whose answer never came before the run ended (counted as errors). */
  readonly unfinished: number;
  /** For fixed-rate runs: the rate asked and the rate actually sent. */
  readonly target_rate?: number;
  readonly sent_rate?: number;
}

/**
 * Collects the commands of one run: successes and failures with their times, result latencies of the
 * commands started after the warm-up, and offers successful ones to the read-model watcher.
 */
export class Recorder {
  private ok = 0;
  private creates = 0;
  private progresses = 0;
  private total = 0;
  private okTotal = 0;
  private failed = 0;
  private readonly errors: Record<string, number> = {};
  private readonly latencies: number[] = [];

  constructor(
    private readonly windowStart: number,
    private readonly windowEnd: number,
    private readonly watcher: ReadModelWatcher | null,
  ) {}

  success(kind: OpKind, t0: number, t1: number, docId: string, target: WatchTarget): void {
    this.total++;
    this.okTotal++;
    const measured = this.inWindow(t0);
    if (t1 >= this.windowStart && t1 <= this.windowEnd) {
      this.ok++;
      if (kind === 'create') this.creates++;
      else this.progresses++;
    }
    if (measured) {
      this.latencies.push(t1 - t0);
      this.watcher?.offer(docId, target, t0);
    }
  }

  failure(reason: string): void {
    this.total++;
    this.failed++;
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
  }

  /** Started inside the window (its latency is measured). */
  inWindow(t0: number): boolean {
    return t0 >= this.windowStart && t0 <= this.windowEnd;
  }

  /**
   * The run's figures; read-model watches still running get `watchGraceMs` to finish, then count as lower
   * bounds.
   */
  async finish(
    extra: { target_rate?: number; sent_rate?: number; unfinished?: number; watchGraceMs?: number } = {},
  ): Promise<RunResult> {
    const { unfinished = 0, watchGraceMs, ...rates } = extra;
    for (let i = 0; i < unfinished; i++) this.failure('no answer before the end of the run');
    const watched = this.watcher
      ? await this.watcher.collect(watchGraceMs)
      : { samples: [], lowerBounds: 0, documentReads: 0 };
    const window_s = (this.windowEnd - this.windowStart) / 1000;
    return {
      window_s: round(window_s),
      window_start_ms: round(this.windowStart),
      window_end_ms: round(this.windowEnd),
      commands_ok: this.ok,
      commands_per_s: round(this.ok / window_s, 1),
      creates_ok: this.creates,
      progress_ok: this.progresses,
      commands_ok_total: this.okTotal,
      errors: this.errors,
      error_share: this.total === 0 ? 0 : round(this.failed / this.total, 4),
      result_latency_ms: summarize(this.latencies),
      readmodel_latency_ms: summarize(watched.samples),
      readmodel_lower_bounds: watched.lowerBounds,
      readmodel_document_reads: watched.documentReads,
      unfinished,
      ...rates,
    };
  }
}
