import type { ComponentRun } from './baseline';
import type { Breakdown } from './breakdown';
import type { GrowthResult } from './growth';
import type { MachineInfo } from './machine';
import type { Mode } from './modes';
import type { GroupUsage } from './procs';
import type { BulkRun, ReplayRun, SeedResult } from './rebuild';
import type { RunResult } from './recorder';
import type { Endpoints } from './services';
import type { LatencySummary, Spread } from './stats';
import type { TargetResult } from './targets';

/** The result types of one bench run: what `bench/results/<date>.<mode>.json` holds (schema_version 2). */

/** The phases `--phases=` may pick, in the order they run. */
export const PHASES = ['http', 'kafka', 'growth', 'baseline', 'rebuild'] as const;
export type Phase = (typeof PHASES)[number];

/** Process group name of the bench itself (reported apart from the system under test). */
export const LOAD_GENERATOR = 'bench (load generator)';

export interface LevelSummary {
  readonly commands_per_s: Spread | null;
  readonly error_share: Spread | null;
  readonly result_p50_ms: Spread | null;
  readonly result_p95_ms: Spread | null;
  readonly result_p99_ms: Spread | null;
  readonly readmodel_p50_ms: Spread | null;
  readonly readmodel_p95_ms: Spread | null;
  readonly readmodel_p99_ms: Spread | null;
  readonly readmodel_samples: number;
  readonly readmodel_lower_bounds: number;
  readonly unfinished: number;
  /** The watcher's own point reads on the read model over these runs. */
  readonly readmodel_document_reads: number;
}

/** Resources of one level's runs. */
export interface Usage {
  /** Peak RSS over the runs, and CPU over each whole run (warm-up and tail included). */
  readonly groups: Record<string, GroupUsage>;
  readonly machine_busy_share: number | null;
  /** CPU seconds the whole machine was busy over the whole runs (all processes, ours and others'). */
  readonly machine_busy_cpu_s: number | null;
  readonly seconds: number;
  /**
   * The measured windows only (warm-up and tail excluded), summed over the runs: CPU seconds per group
   * (utime + stime deltas, interpolated between 250 ms samples to the window's edges), the machine's busy
   * CPU seconds, and the commands that completed inside the windows.
   */
  readonly window: {
    readonly seconds: number;
    readonly commands: number;
    readonly cpu_seconds: Record<string, number | null>;
    readonly machine_busy_cpu_s: number | null;
  };
}

export interface LevelResult {
  /** Connections (HTTP) or commands in flight (Kafka); for fixed-rate runs the rate. */
  readonly concurrency?: number;
  readonly rate?: number;
  readonly runs: RunResult[];
  readonly summary: LevelSummary;
  readonly usage: Usage | null;
  readonly breakdown: Breakdown | null;
  readonly drains?: { drained: boolean | null; seconds: number }[];
}

export interface PathResult {
  readonly levels: LevelResult[];
  readonly sustained: { concurrency: number; commands_per_s: Spread; error_share: number | null } | null;
  readonly half_rate: LevelResult | null;
}

/**
 * CPU milliseconds per command of one phase's runs: utime + stime of every process over the measured
 * windows divided by the commands completed in them.
 */
export interface CpuPerCommand {
  readonly phase: string;
  readonly commands: number;
  readonly window_s: number;
  /** Summed over the system under test: the three services, Kafka, mongod, PostgreSQL (not the bench). */
  readonly system_ms: number | null;
  /** The bench's own process (load generator, read-model watcher). */
  readonly load_generator_ms: number | null;
  /** Per process group (system under test and load generator). */
  readonly per_process_ms: Record<string, number | null>;
  /** The machine's busy CPU minus all of the above: other work that competed with the runs. */
  readonly everything_else_ms: number | null;
}

export interface BaselineResult {
  readonly commands: number;
  readonly concurrency: Mode['baseline']['concurrency'];
  readonly templates: {
    source: 'captured' | 'synthetic';
    count: number;
    bytes: { created: number; progressed: number };
  };
  readonly components: Record<
    'kafka' | 'pg_adapter' | 'pg_raw' | 'mongo',
    {
      runs: ComponentRun[];
      per_s: Spread | null;
      latency_p50_ms: Spread | null;
      latency_p99_ms: Spread | null;
    }
  >;
  readonly combined: { runs: ComponentRun[]; per_s: Spread | null };
  /** Pipeline sustained commands/s (HTTP and Kafka) / combined ceiling. */
  readonly ratio_http: number | null;
  readonly ratio_kafka: number | null;
  readonly adapter_vs_raw_pg: number | null;
}

export interface RebuildResult {
  readonly events: number;
  readonly seed: SeedResult;
  readonly replay: {
    runs: ReplayRun[];
    events_per_s: Spread | null;
    events_per_s_last_quarter: Spread | null;
  };
  readonly bulk: { runs: BulkRun[]; events_equivalent_per_s: Spread | null };
  readonly ratio: number | null;
}

export interface BenchResult {
  readonly schema_version: 2;
  readonly started_at: string;
  finished_at: string;
  duration_s: number;
  readonly mode: Mode['name'];
  readonly argv: string[];
  readonly machine: MachineInfo;
  readonly system: {
    services: 'already running' | 'started by the bench' | 'not used';
    /** `--fresh`: own event store schema and read-model database (else the live ones). */
    fresh: boolean;
    endpoints: Endpoints;
    space: string;
    event_store_schema: string;
    read_model: { database: string; tickets_collection: string; checkpoint: string };
    pids: Record<string, number[]>;
    /** 1-minute load average at the start and the end (other work on the machine shows here). */
    load_average: { start: number; end: number | null };
    /** Events the live projection had not applied yet when the run started / ended (projection_lag_events, capped by the service). */
    projection_backlog: { start: number | null; end: number | null };
  };
  readonly params: Mode;
  http: PathResult | null;
  kafka: PathResult | null;
  /** CPU ms per command of the sustained and half-rate levels (HTTP, then Kafka). */
  cpu_per_command: CpuPerCommand[];
  growth: GrowthResult | null;
  baseline: BaselineResult | null;
  rebuild: RebuildResult | null;
  /** Point reads by `_id` on the live `tickets` collection after the end-to-end runs (its cost at its size). */
  readmodel_probe: { collection_documents: number; point_read_ms: LatencySummary | null } | null;
  /** Peak memory per process group over every end-to-end run. */
  resources: Record<string, { peak_rss_mb: number | null; source: string }>;
  machine_busy_share_at_sustained: number | null;
  targets: TargetResult[];
  readonly notes: string[];
  readonly errors: { phase: string; message: string }[];
}
