import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readFileIfExists, writeFileAtomic } from './atomic-file';

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

export function readPid(file: string): number | undefined {
  const raw = readFileIfExists(file)?.trim();
  const pid = raw ? Number(raw) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(file: string, pid: number): void {
  writeFileAtomic(file, `${pid}\n`);
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

/** Runs a provisioning command to completion; throws with the command's output tail when it fails. */
export function runChecked(
  command: string,
  args: string[],
  what: string,
  opts: SpawnSyncOptions = {},
): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${what}: could not run ${command}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${String(r.stdout ?? '')}${String(r.stderr ?? '')}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${what}: \`${command} ${args.join(' ')}\` exited with ${r.status}:\n${out}`);
  }
  return String(r.stdout ?? '');
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
