import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a run happened on (recorded in the JSON and shown above the table). */
export interface MachineInfo {
  readonly cpu_model: string;
  /** Logical CPUs available to this process (`nproc`). */
  readonly nproc: number;
  readonly memory_gb: number;
  readonly node: string;
  readonly os: string;
  readonly git_commit: string | null;
  /** Files changed in the working tree outside bench/ at the time of the run (others' work in progress). */
  readonly git_dirty_files: number | null;
}

export function machineInfo(root: string): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  const status = git(['status', '--porcelain']);
  const commit = git(['rev-parse', '--short', 'HEAD']);
  return {
    cpu_model: cpu,
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    // Outside a git checkout (e.g. a `git archive` export), BENCH_GIT_COMMIT names the commit exported.
    git_commit: commit ?? process.env['BENCH_GIT_COMMIT'] ?? null,
    git_dirty_files:
      status === null
        ? null
        : status
            .split('\n')
            .filter(Boolean)
            .filter((l) => !l.slice(3).startsWith('bench/')).length,
  };
}

/** One line for the markdown header. */
export function describeMachine(m: MachineInfo): string {
  return `${m.cpu_model}, ${m.nproc} CPUs (nproc), ${m.memory_gb} GB RAM, Node.js ${m.node}, ${m.os}`;
}
