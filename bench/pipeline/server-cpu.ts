/**
 * CPU time of the local Kafka broker and PostgreSQL server, read from /proc: the client's
 * process.cpuUsage() alone would hide work the take pushes onto the servers. Linux only; undefined
 * elsewhere or when the stack's pid files are missing (e.g. a remote stack).
 */
import { promises as fs } from 'node:fs';
import { loadConfig } from '../../src/config';
import { stackPaths, type ServiceName } from '../../src/stack/paths';

/** USER_HZ: 100 on every mainstream Linux build; /proc/<pid>/stat counts in these ticks. */
const TICKS_PER_SECOND = 100;

async function pidOf(service: ServiceName): Promise<number | undefined> {
  const file = stackPaths(loadConfig(process.env)).pidFile(service);
  const first = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n')[0] ?? '';
  const pid = Number(first.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Fields after the parenthesised command name (which may itself hold spaces). */
async function statFields(pid: number): Promise<string[] | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime (+ cutime + cstime of reaped children when asked), in ms. */
async function processCpuMs(pid: number, withReapedChildren: boolean): Promise<number> {
  const f = await statFields(pid);
  if (!f) return 0;
  // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  const ticks = [11, 12, ...(withReapedChildren ? [13, 14] : [])].reduce((s, i) => s + Number(f[i]), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(' ').filter(Boolean).map(Number);
}

export interface ServerCpu {
  readonly kafka: number;
  readonly postgres: number;
}

export async function serverCpuMs(): Promise<ServerCpu | undefined> {
  if (process.platform !== 'linux') return undefined;
  const [kafka, postgres] = await Promise.all([pidOf('kafka'), pidOf('postgres')]);
  if (kafka === undefined || postgres === undefined) return undefined;
  // PostgreSQL runs one process per connection under the postmaster; exited ones count in its cutime.
  const backends = await childrenOf(postgres);
  const pgParts = await Promise.all([
    processCpuMs(postgres, true),
    ...backends.map((b) => processCpuMs(b, false)),
  ]);
  return { kafka: await processCpuMs(kafka, false), postgres: pgParts.reduce((s, x) => s + x, 0) };
}
