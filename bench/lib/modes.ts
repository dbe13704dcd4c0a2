/**
 * The two modes. `quick` keeps the whole run under about three minutes on a 2-CPU machine (short runs,
 * three repeats, capped replays); `full` is the real measurement (longer runs, more levels, five repeats,
 * 1M events to replay).
 */
export interface Mode {
  readonly name: 'quick' | 'full';
  /** autocannon connections of the HTTP sweep. */
  readonly http_levels: readonly number[];
  /** Commands in flight of the Kafka sweep. */
  readonly kafka_levels: readonly number[];
  /** Repeats of every measured run (figures are medians over them). */
  readonly repeats: number;
  /** Length of one sweep run and its warm-up (excluded from the figures), seconds. */
  readonly duration_s: number;
  readonly warmup_s: number;
  /** Longest wait after a sweep run for the commands started inside its window to be answered, seconds. */
  readonly tail_cap_s: number;
  /** Length of one fixed-rate run (half the sustained rate), seconds. */
  readonly fixed_duration_s: number;
  /** Fixed-rate runs straight to Kafka too (HTTP always). */
  readonly kafka_half_rate: boolean;
  /** Longest wait for the projection to catch up before the first fixed-rate run, and between them, seconds. */
  readonly drain_cap_s: number;
  readonly drain_between_cap_s: number;
  /**
   * Read-model watcher: commands watched at once, poll interval and its cap, give-up time (ms), and how
   * long a sweep run / a fixed-rate run waits for its last watches before counting them as lower bounds.
   */
  readonly watch: {
    readonly maxInFlight: number;
    readonly pollMs: number;
    readonly maxPollMs: number;
    readonly timeoutMs: number;
    readonly sweepGraceMs: number;
    readonly fixedGraceMs: number;
  };
  readonly baseline: {
    readonly repeats: number;
    /** Time cap of one component run, seconds (a capped run reports the rate it reached). */
    readonly cap_s: number;
    /** Units (tickets: create + progress) in flight per component: around where each one's rate levels off here. */
    readonly concurrency: { readonly kafka: number; readonly pg: number; readonly mongo: number };
  };
  readonly rebuild: {
    readonly events: number;
    readonly repeats: number;
    readonly replay_cap_s: number;
    readonly bulk_cap_s: number;
  };
  /**
   * The growth phase: the ticket documents of the growth space at the small and the large measurement, and
   * how many of each read are timed at each size.
   */
  readonly growth: {
    readonly sizes: readonly [small: number, large: number];
    readonly point_reads: number;
    readonly searches: number;
    readonly counters_reads: number;
    readonly summaries: number;
    readonly read_your_writes: number;
  };
}

export const QUICK: Mode = {
  name: 'quick',
  http_levels: [16, 64],
  kafka_levels: [64],
  repeats: 3,
  duration_s: 4,
  warmup_s: 1,
  tail_cap_s: 5,
  fixed_duration_s: 4,
  kafka_half_rate: false,
  drain_cap_s: 8,
  drain_between_cap_s: 3,
  watch: {
    maxInFlight: 8,
    pollMs: 5,
    maxPollMs: 100,
    timeoutMs: 5_000,
    sweepGraceMs: 1_000,
    fixedGraceMs: 2_000,
  },
  baseline: { repeats: 3, cap_s: 2, concurrency: { kafka: 64, pg: 32, mongo: 32 } },
  rebuild: { events: 100_000, repeats: 3, replay_cap_s: 5, bulk_cap_s: 3 },
  growth: {
    sizes: [10_000, 100_000],
    point_reads: 100,
    searches: 10,
    counters_reads: 30,
    summaries: 3,
    read_your_writes: 15,
  },
};

export const FULL: Mode = {
  name: 'full',
  http_levels: [4, 16, 64, 128, 256],
  kafka_levels: [16, 64, 256],
  repeats: 5,
  duration_s: 15,
  warmup_s: 3,
  tail_cap_s: 30,
  fixed_duration_s: 20,
  kafka_half_rate: true,
  drain_cap_s: 120,
  drain_between_cap_s: 60,
  watch: {
    maxInFlight: 16,
    pollMs: 5,
    maxPollMs: 100,
    timeoutMs: 60_000,
    sweepGraceMs: 10_000,
    fixedGraceMs: 60_000,
  },
  baseline: { repeats: 5, cap_s: 30, concurrency: { kafka: 64, pg: 32, mongo: 32 } },
  rebuild: { events: 1_000_000, repeats: 3, replay_cap_s: 300, bulk_cap_s: 300 },
  growth: {
    sizes: [10_000, 1_000_000],
    point_reads: 500,
    searches: 30,
    counters_reads: 100,
    summaries: 10,
    read_your_writes: 50,
  },
};
