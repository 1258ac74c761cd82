import fs from 'node:fs';
import path from 'node:path';
import { waitUntilHealthy } from './health';
import { withFileLock } from './lock';
import { readLogTail } from './log-tail';
import type { ServiceName } from './paths';
import { listenerOf } from './port-owner';
import { formatEndpoint, isPortOpen } from './ports';
import { commandLineOf, isAlive, readPid, readPidPorts, removeFile, writePid } from './processes';
import type { Service, StackContext } from './service';
import { seconds } from './table';

export class StackError extends Error {
  override name = 'StackError';
}

/** Pid of our running process for the service, if any (pid file + live + still the same program). */
export function livePid(ctx: StackContext, s: Service): number | undefined {
  const pid = readPid(ctx.paths.pidFile(s.name));
  return pid !== undefined && isAlive(pid) && commandLineOf(pid).includes(s.commandMarker) ? pid : undefined;
}

function portList(s: Service): string {
  return s.ports.map(formatEndpoint).join(',');
}

async function assertPortsFree(s: Service): Promise<void> {
  for (const ep of s.ports) {
    if (!(await isPortOpen(ep))) continue;
    const owner = listenerOf(ep.port);
    throw new StackError(
      `${s.name}: port ${formatEndpoint(ep)} is already taken by ${owner?.description ?? 'another program'}, ` +
        `not by this stack's ${s.name}.\n  Stop that program (find it with: ss -ltnp 'sport = :${ep.port}') ` +
        `or move ${s.name} to another port via its setting, then run \`npm run stack -- up\` again.`,
    );
  }
}

function failureReport(ctx: StackContext, s: Service, why: string, lastReason: string): string {
  const tail = readLogTail(s.logFile, 15).map((l) => `    | ${l}`);
  return [
    `${s.name} is not healthy: ${why}`,
    `  ports: ${s.ports.map(formatEndpoint).join(', ')}`,
    `  last health error: ${lastReason}`,
    `  log: ${s.logFile}${tail.length ? ' (last lines below)' : ' (empty)'}`,
    ...tail,
    `  What to do: read the log above, fix the cause, then run \`npm run stack -- up\` again ` +
      `(\`npm run stack -- down ${s.name}\` first if it hangs; STACK_HEALTH_TIMEOUT_S to wait longer).`,
  ].join('\n');
}

async function bringUp(ctx: StackContext, s: Service): Promise<void> {
  const t0 = Date.now();
  let pid = livePid(ctx, s);
  const first = await s.health();
  if (first.ok) {
    const by = pid ?? listenerOf(s.ports[0]!.port)?.pid;
    const foreign = pid === undefined ? ', not started from this clone' : '';
    ctx.say(`${s.name}: already healthy (pid ${by ?? '?'}${foreign}) ${s.url}`);
    return;
  }
  if (pid === undefined) {
    const tp = Date.now();
    const worked = await s.provision();
    ctx.say(`${s.name}: provision ${worked ? 'done' : 'cached'} in ${seconds(Date.now() - tp)}`);
    await assertPortsFree(s);
    pid = await s.start();
    writePid(ctx.paths.pidFile(s.name), pid, portList(s));
  } else {
    const startedWith = readPidPorts(ctx.paths.pidFile(s.name));
    if (startedWith !== undefined && startedWith !== portList(s)) {
      throw new StackError(
        `${s.name}: running (pid ${pid}) on ${startedWith}, but the settings now say ${portList(s)}.\n` +
          `  Restart it on the new ports with: npm run stack -- down ${s.name} && npm run stack -- up (data is kept).`,
      );
    }
    ctx.say(`${s.name}: running (pid ${pid}) but not healthy yet (${first.reason}); waiting`);
  }
  const ts = Date.now();
  const runningPid = pid;
  const result = await waitUntilHealthy(
    async () => {
      if (s.converge) await s.converge();
      return s.health();
    },
    { timeoutMs: ctx.config.stack.healthTimeoutMs, intervalMs: 300, isAlive: () => isAlive(runningPid) },
  );
  if (!result.ok) {
    const why =
      result.why === 'exited'
        ? `its process (pid ${runningPid}) exited during startup`
        : `no healthy answer within ${seconds(result.elapsedMs)} (STACK_HEALTH_TIMEOUT_S)`;
    throw new StackError(failureReport(ctx, s, why, result.lastReason));
  }
  ctx.say(
    `${s.name}: healthy after ${seconds(Date.now() - ts)} (total ${seconds(Date.now() - t0)}, pid ${runningPid}) ${s.url}`,
  );
}

function lockFile(ctx: StackContext): string {
  return path.join(ctx.paths.stateDir, 'stack.lock');
}

/** Starts every service, each as soon as the services it depends on are healthy. */
export async function up(ctx: StackContext, services: Service[]): Promise<void> {
  const t0 = Date.now();
  await withFileLock(
    lockFile(ctx),
    'stack up',
    ctx.config.stack.healthTimeoutMs * 2 + 30 * 60 * 1000,
    async () => {
      const done = new Map<ServiceName, Promise<void>>();
      const run = (s: Service): Promise<void> => {
        let p = done.get(s.name);
        if (!p) {
          p = (async () => {
            for (const dep of s.dependsOn) {
              const d = services.find((x) => x.name === dep);
              if (d) {
                await run(d).catch(() => {
                  throw new StackError(`${s.name}: not started because ${dep} did not come up.`);
                });
              }
            }
            await bringUp(ctx, s);
          })();
          done.set(s.name, p);
        }
        return p;
      };
      const results = await Promise.allSettled(services.map(run));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failures.length) {
        throw new StackError(failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n\n'));
      }
    },
    (owner) => ctx.say(`waiting for another \`stack up/down\` (pid ${owner}) to finish`),
  );
  ctx.say(`all ${services.length} services healthy in ${seconds(Date.now() - t0)}`);
}

/** Stops services, dependents first; data stays. */
export async function down(ctx: StackContext, services: Service[], only?: ServiceName): Promise<void> {
  const chosen = only ? services.filter((s) => s.name === only) : services;
  const dependents = chosen.filter((s) => s.dependsOn.length > 0);
  const rest = chosen.filter((s) => s.dependsOn.length === 0);
  await withFileLock(lockFile(ctx), 'stack down', 5 * 60 * 1000, async () => {
    for (const wave of [dependents, rest]) {
      await Promise.all(
        wave.map(async (s) => {
          const pid = livePid(ctx, s);
          if (pid === undefined) {
            removeFile(ctx.paths.pidFile(s.name));
            ctx.say(`${s.name}: not running (from this clone)`);
            return;
          }
          const t = Date.now();
          await s.stop(pid);
          removeFile(ctx.paths.pidFile(s.name));
          ctx.say(`${s.name}: stopped pid ${pid} in ${seconds(Date.now() - t)}`);
        }),
      );
    }
  });
}

export interface ServiceStatus {
  service: Service;
  healthy: boolean;
  reason?: string;
  pid?: number;
}

export async function status(ctx: StackContext, services: Service[]): Promise<ServiceStatus[]> {
  return Promise.all(
    services.map(async (s) => {
      const h = await s.health();
      const pid = livePid(ctx, s) ?? (h.ok ? listenerOf(s.ports[0]!.port)?.pid : undefined);
      return { service: s, healthy: h.ok, reason: h.ok ? undefined : h.reason, pid };
    }),
  );
}

/** down + delete all runtime state (caches stay). */
export async function wipe(ctx: StackContext, services: Service[]): Promise<void> {
  await down(ctx, services);
  const external = services.flatMap((s) => s.externalData?.() ?? []);
  for (const dir of [ctx.paths.stateDir, ...external]) {
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.say(`removed ${dir}`);
  }
}
