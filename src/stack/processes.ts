import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readFileIfExists, writeFileDurableSync } from '../durable-file';

export interface DetachedSpec {
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

/**
 * Starts a server in its own session with output appended to its log, so it outlives the CLI and
 * `down` can signal its whole process group (MLflow and Temporal run children of their own).
 */
export function spawnDetached(spec: DetachedSpec): number {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const fd = fs.openSync(spec.logFile, 'a');
  try {
    fs.writeSync(fd, `\n===== ${new Date().toISOString()} starting ${path.basename(spec.command)} =====\n`);
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}; see ${spec.logFile}`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie answers kill(0) but is gone for our purposes.
  const stat = readFileIfExists(`/proc/${pid}/stat`);
  return !stat || !/^\d+ \(.*\) Z /.test(stat);
}

/** Guards against a recycled pid: the process must still be the command we started. */
export function commandLineOf(pid: number): string {
  return (readFileIfExists(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ');
}

/** First line of a pid file: the pid. */
export function readPid(file: string): number | undefined {
  const raw = readFileIfExists(file)?.split('\n')[0]?.trim();
  const pid = raw ? Number(raw) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Second line of a pid file: what the process was started to listen on, to catch changed settings. */
export function readPidPorts(file: string): string | undefined {
  return readFileIfExists(file)?.split('\n')[1]?.trim() || undefined;
}

export function writePid(file: string, pid: number, ports = ''): void {
  writeFileDurableSync(file, `${pid}\n${ports}\n`);
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM (to the process group when asked), wait up to graceMs, then SIGKILL. */
export async function terminate(
  pid: number,
  { group = true, graceMs = 15000 } = {},
): Promise<'stopped' | 'killed'> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return 'killed';
}

/**
 * Runs a provisioning command to completion without blocking the event loop (so services provision in
 * parallel); throws with the command's output tail when it fails.
 */
export function runChecked(
  command: string,
  args: string[],
  what: string,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if (typeof error.code === 'string') {
          return reject(new Error(`${what}: could not run ${command}: ${error.message}`));
        }
        const out = `${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n');
        reject(new Error(`${what}: \`${command} ${args.join(' ')}\` exited with ${error.code}:\n${out}`));
      },
    );
  });
}

/** Async variant for long provisioning steps, so independent services provision in parallel. */
export function runLogged(
  command: string,
  args: string[],
  what: string,
  logFile: string,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n===== ${new Date().toISOString()} ${command} ${args.join(' ')} =====\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    child.once('error', (e) => {
      fs.closeSync(fd);
      reject(new Error(`${what}: could not run ${command}: ${e.message}`));
    });
    child.once('exit', (code) => {
      fs.closeSync(fd);
      if (code === 0) resolve();
      else reject(new Error(`${what}: \`${command}\` exited with ${code}; see ${logFile}`));
    });
  });
}
