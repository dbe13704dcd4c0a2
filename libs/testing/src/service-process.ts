import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';

/** The repository root: the nearest folder above this file holding nx.json (from the sources or from dist/). */
function repositoryRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'nx.json'))) return dir;
  throw new Error(`no nx.json above ${from}`);
}
const ROOT = repositoryRoot(__dirname);

/** A free TCP port on 127.0.0.1 (asks the OS for one, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * One service started from dist/ (built by the e2e global set-up) as its own process, so a test can kill it
 * (SIGKILL: a crash) or stop it (SIGTERM: graceful shutdown) and start another.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  readonly output: string[] = [];

  constructor(
    readonly service: 'gateway' | 'ticket-service' | 'projection-service',
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the process and resolves once `GET http://127.0.0.1:<healthPort>/health` answers 200. */
  async start(healthPort: number, timeoutMs = 60000): Promise<void> {
    this.child = spawn(process.execPath, ['-r', './tools/register-paths.js', `dist/apps/${this.service}/src/main.js`], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      const ok = await fetch(`http://127.0.0.1:${healthPort}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.service} did not become healthy:\n${this.output.join('').slice(-3000)}`);
  }

  /** Sends `signal` and resolves with the exit code (or the signal) once the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30000): Promise<number | string> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? 'not running');
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${this.service} did not exit within ${timeoutMs} ms after ${signal}`)), timeoutMs);
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        done(code ?? sig ?? 'unknown');
      });
      child.kill(signal);
    });
  }
}
