import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { scalar, scrape } from './prom';
import { now } from './stats';

/**
 * Resources of the processes under test, from /proc (Linux): the pid listening on a port, RSS and CPU
 * seconds of a pid (`/proc/<pid>/status` VmRSS, `/proc/<pid>/stat` utime+stime), the machine's busy share
 * (`/proc/stat`). Where /proc cannot be read, a service's prom-client metrics stand in
 * (`process_resident_memory_bytes`, `process_cpu_seconds_total`).
 */

let clockTicks: number | null = null;
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Socket inodes listening on `port` (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const [, localPort] = cols[1].split(':');
      if (localPort === hexPort && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  return inodes;
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** The pid of the process listening on `port`, or `null` (not found, or /proc unreadable). */
export function pidListeningOn(port: number): number | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return pid;
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return null;
}

/** `pid` and its direct children (PostgreSQL: the postmaster and its backends). */
export function withChildren(pid: number): number[] {
  const out = [pid];
  for (const p of allPids()) {
    if (p === pid) continue;
    const stat = readStat(p);
    if (stat && stat.ppid === pid) out.push(p);
  }
  return out;
}

interface StatFields {
  readonly ppid: number;
  readonly cpuSeconds: number;
}

function readStat(pid: number): StatFields | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    const ppid = Number(fields[1]);
    const cpu = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
    return { ppid, cpuSeconds: cpu };
  } catch {
    return null;
  }
}

/** Resident set size in bytes (`VmRSS`), or `null`. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Proportional set size in bytes (`Pss` of /proc/<pid>/smaps_rollup): shared pages divided among the
 * processes sharing them, so a group's sum is not inflated by shared memory (PostgreSQL's shared buffers).
 */
export function pssBytes(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by `pid`, or `null`. */
export function cpuSeconds(pid: number): number | null {
  return readStat(pid)?.cpuSeconds ?? null;
}

/** Busy and total jiffies of the whole machine (`/proc/stat`), or `null`. */
function machineJiffies(): { busy: number; total: number } | null {
  try {
    const cols = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (cols[3] ?? 0) + (cols[4] ?? 0);
    const total = cols.slice(0, 8).reduce((s, v) => s + v, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** A group of processes to watch: the pids are re-resolved at every sample (backends come and go). */
export interface ProcessGroup {
  readonly name: string;
  readonly pids: () => number[];
  /** Where to read RSS/CPU when no pid is found: a prom-client `/metrics` URL. */
  readonly metricsUrl?: string;
}

/** What a sampler saw for one group over its window. */
export interface GroupUsage {
  /** Highest sampled RSS (sum over the group's pids), MB. */
  readonly peak_rss_mb: number | null;
  /** CPU seconds used during the window (sum over the group's pids). */
  readonly cpu_seconds: number | null;
  /** `proc`: VmRSS of the one process; `proc-pss`: sum of PSS over several; `metrics`: prom-client. */
  readonly source: 'proc' | 'proc-pss' | 'metrics' | 'none';
}

/** Cumulative CPU seconds per group (and of the whole machine) since `start()`, at one sample (`now()` ms). */
interface CpuPoint {
  readonly t: number;
  readonly groups: Readonly<Record<string, number>>;
  readonly machine: number | null;
}

/**
 * Samples RSS and CPU of process groups every `intervalMs` between `start()` and `stop()`, and keeps the
 * cumulative CPU of every sample so that {@link cpuBetween} can give the CPU of a sub-window (a load run's
 * measured window, without its warm-up and tail).
 */
export class ResourceSampler {
  private timer: NodeJS.Timeout | null = null;
  private readonly timeline: CpuPoint[] = [];
  private readonly lastCpu = new Map<string, Map<number, number>>();
  private readonly cpu = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly source = new Map<string, GroupUsage['source']>();
  private readonly metricsStart = new Map<string, number>();
  private readonly metricsLast = new Map<string, number>();
  private machineStart: { busy: number; total: number } | null = null;
  private startedAt = 0;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly groups: readonly ProcessGroup[],
    private readonly intervalMs = 250,
  ) {}

  async start(): Promise<void> {
    this.startedAt = Date.now();
    this.machineStart = machineJiffies();
    await this.sample(true);
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample(false));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<{
    groups: Record<string, GroupUsage>;
    machine_busy_share: number | null;
    machine_busy_cpu_s: number | null;
    seconds: number;
  }> {
    if (this.timer) clearInterval(this.timer);
    await this.sampling;
    await this.sample(false, true);
    const end = machineJiffies();
    const groups: Record<string, GroupUsage> = {};
    for (const g of this.groups) {
      const source = this.source.get(g.name) ?? 'none';
      let cpu: number | null = this.cpu.get(g.name) ?? null;
      if (source === 'metrics') {
        const a = this.metricsStart.get(g.name);
        const b = this.metricsLast.get(g.name);
        cpu = a !== undefined && b !== undefined ? b - a : null;
      }
      const peak = this.peak.get(g.name);
      groups[g.name] = {
        peak_rss_mb: peak === undefined ? null : Math.round((peak / 2 ** 20) * 10) / 10,
        cpu_seconds: cpu === null ? null : Math.round(cpu * 100) / 100,
        source,
      };
    }
    const busy =
      this.machineStart && end && end.total > this.machineStart.total
        ? (end.busy - this.machineStart.busy) / (end.total - this.machineStart.total)
        : null;
    const busyCpu = this.machineStart && end ? (end.busy - this.machineStart.busy) / ticksPerSecond() : null;
    return {
      groups,
      machine_busy_share: busy === null ? null : Math.round(busy * 1000) / 1000,
      machine_busy_cpu_s: busyCpu === null ? null : Math.round(busyCpu * 100) / 100,
      seconds: (Date.now() - this.startedAt) / 1000,
    };
  }

  /**
   * CPU seconds each group used between `from` and `to` (`now()` ms, inside the sampled span), and the
   * machine's busy CPU seconds: cumulative readings interpolated linearly between the two samples around
   * each edge (250 ms apart by default). `null` for a group never read.
   */
  cpuBetween(from: number, to: number): { groups: Record<string, number | null>; machine: number | null } {
    const at = (t: number, pick: (p: CpuPoint) => number | null | undefined): number | null => {
      const points = this.timeline;
      if (points.length === 0) return null;
      let i = points.findIndex((p) => p.t >= t);
      if (i === -1) i = points.length - 1;
      const b = points[i];
      const a = i > 0 ? points[i - 1] : b;
      const va = pick(a);
      const vb = pick(b);
      if (va == null || vb == null) return vb ?? va ?? null;
      if (b.t === a.t || t >= b.t) return vb;
      if (t <= a.t) return va;
      return va + ((vb - va) * (t - a.t)) / (b.t - a.t);
    };
    const diff = (pick: (p: CpuPoint) => number | null | undefined) => {
      const a = at(from, pick);
      const b = at(to, pick);
      return a === null || b === null ? null : Math.round(Math.max(0, b - a) * 1000) / 1000;
    };
    const groups: Record<string, number | null> = {};
    for (const g of this.groups) groups[g.name] = diff((p) => p.groups[g.name]);
    return { groups, machine: diff((p) => p.machine) };
  }

  /**
   * One sample. Groups of several processes (PostgreSQL) get their memory read only at the last sample:
   * PSS makes the kernel walk every page table (~2 ms per backend), too costly to do every 250 ms.
   */
  private async sample(first: boolean, last = false): Promise<void> {
    for (const g of this.groups) {
      const pids = g.pids();
      if (pids.length > 0) {
        const pss = pids.length > 1;
        this.source.set(g.name, pss ? 'proc-pss' : 'proc');
        const readMemory = !pss || last;
        let rss = 0;
        const lastCpu = this.lastCpu.get(g.name) ?? new Map<number, number>();
        for (const pid of pids) {
          if (readMemory) rss += (pss ? (pssBytes(pid) ?? rssBytes(pid)) : rssBytes(pid)) ?? 0;
          const c = cpuSeconds(pid);
          if (c === null) continue;
          const prev = lastCpu.get(pid);
          if (prev !== undefined && !first)
            this.cpu.set(g.name, (this.cpu.get(g.name) ?? 0) + Math.max(0, c - prev));
          lastCpu.set(pid, c);
        }
        this.lastCpu.set(g.name, lastCpu);
        if (!this.cpu.has(g.name)) this.cpu.set(g.name, 0);
        if (readMemory) this.peak.set(g.name, Math.max(this.peak.get(g.name) ?? 0, rss));
      } else if (g.metricsUrl) {
        const samples = await scrape(g.metricsUrl, 2000);
        if (!samples) continue;
        this.source.set(g.name, 'metrics');
        const rss = scalar(samples, 'process_resident_memory_bytes');
        const cpu = scalar(samples, 'process_cpu_seconds_total');
        if (rss !== null) this.peak.set(g.name, Math.max(this.peak.get(g.name) ?? 0, rss));
        if (cpu !== null) {
          if (!this.metricsStart.has(g.name)) this.metricsStart.set(g.name, cpu);
          this.metricsLast.set(g.name, cpu);
        }
      }
    }
    const groups: Record<string, number> = {};
    for (const g of this.groups) {
      const fromMetrics = this.metricsStart.get(g.name);
      const last = this.metricsLast.get(g.name);
      if (this.source.get(g.name) === 'metrics' && fromMetrics !== undefined && last !== undefined)
        groups[g.name] = last - fromMetrics;
      else if (this.cpu.has(g.name)) groups[g.name] = this.cpu.get(g.name)!;
    }
    const jiffies = machineJiffies();
    this.timeline.push({
      t: now(),
      groups,
      machine:
        jiffies && this.machineStart ? (jiffies.busy - this.machineStart.busy) / ticksPerSecond() : null,
    });
  }
}
