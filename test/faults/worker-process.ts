/**
 * A worker (`src/workers/io.ts` or `training.ts`) or the inference server (`src/serve/main.ts`) as a real
 * child process, so a case can SIGKILL it like a crashed machine and start a new one. Output goes to one
 * log file per start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config';
import { waitFor } from './wait';

export type WorkerName = 'io' | 'training' | 'serve';

/** Entry point, and the log line that says the process is ready. */
const PROCESSES: Record<WorkerName, { script: string; ready: string }> = {
  io: { script: 'src/workers/io.ts', ready: 'polling task queue' },
  training: { script: 'src/workers/training.ts', ready: 'polling task queue' },
  serve: { script: 'src/serve/main.ts', ready: 'serving champion' },
};

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private starts = 0;
  private logFile = '';

  constructor(
    readonly name: WorkerName,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logsDir: string,
    /** Names its log files (several processes of one kind, e.g. one per host in the scale test). */
    private readonly label: string = name,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until it is ready (a worker polls its task queue, the server listens). */
  async start(): Promise<void> {
    if (this.running()) throw new Error(`${this.name} worker is already running (pid ${this.pid})`);
    this.starts += 1;
    this.logFile = path.join(this.logsDir, `worker-${this.label}-${this.starts}.log`);
    const fd = openSync(this.logFile, 'a');
    try {
      // node --import tsx: one process, so a signal hits the worker itself and not a wrapper.
      this.child = spawn(process.execPath, ['--import', 'tsx', PROCESSES[this.name].script], {
        cwd: REPO_ROOT,
        env: this.env,
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    this.child.on('error', () => undefined);
    await waitFor(
      `${this.name} to be ready (log ${this.logFile})`,
      () => {
        if (!this.running()) throw new Error(`${this.name} worker exited; see ${this.logFile}`);
        return readFileSync(this.logFile, 'utf8').includes(PROCESSES[this.name].ready);
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no graceful shutdown, no heartbeat or completion sent; waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(-child.pid!, 'SIGKILL');
    await gone;
  }

  /** Graceful stop at the end of the suite. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }

  get log(): string {
    return this.logFile;
  }
}
