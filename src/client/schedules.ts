/**
 * The pipeline's Temporal Schedules, created or updated idempotently from the configuration:
 *
 *   stream      every STREAM_INTERVAL, streamNewDataWorkflow publishes STREAM_BATCH_SIZE new samples
 *   retrain     every RETRAIN_INTERVAL, retrainTriggerWorkflow starts a retrain cycle
 *   lag-trigger every LAG_CHECK_INTERVAL, lagCheckWorkflow starts a retrain once RETRAIN_LAG_THRESHOLD records wait
 *
 * Overlap policies:
 *   - retrain and lag-trigger: SKIP. Never two retrains at once; a tick that falls while one runs has
 *     nothing to add, the running cycle takes the new data anyway. (The trigger starts the retrain under
 *     its fixed workflow id, so even a manual retrain cannot run beside a scheduled one.)
 *   - stream: SKIP, not BUFFER_ONE. The stream stands for data arriving at a rate; a buffered run would fire
 *     right after a slow one and publish two batches back to back, a burst the real source never sends.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../config';
import type { LagCheckInput } from '../workflows/lag-check';
import { TASK_QUEUES, type RetrainTriggerInput, type StreamNewDataInput } from '../shared';
import { badInput, notReady } from './errors';

export const SCHEDULE_NAMES = ['stream', 'retrain', 'lag-trigger'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export const SCHEDULE_IDS: Readonly<Record<ScheduleName, string>> = {
  stream: 'mlops-stream-schedule',
  retrain: 'mlops-retrain-schedule',
  'lag-trigger': 'mlops-lag-trigger-schedule',
};

export interface ScheduleIntervals {
  readonly streamIntervalMs: number;
  readonly retrainIntervalMs: number;
  readonly lagCheckIntervalMs: number;
}

export interface ScheduleSettings extends ScheduleIntervals {
  readonly streamBatchSize: number;
  readonly lagThreshold: number;
  readonly taskQueue: string;
  /** Prefix of schedule ids; tests use their own so they never touch the real ones. */
  readonly idPrefix?: string;
}

export function scheduleSettings(cfg: Config, intervals: Partial<ScheduleIntervals> = {}): ScheduleSettings {
  return {
    streamIntervalMs: cfg.schedules.streamIntervalMs,
    retrainIntervalMs: cfg.schedules.retrainIntervalMs,
    lagCheckIntervalMs: cfg.schedules.lagCheckIntervalMs,
    ...intervals,
    streamBatchSize: cfg.schedules.streamBatchSize,
    lagThreshold: cfg.stream.retrainLagThreshold,
    taskQueue: TASK_QUEUES.io,
  };
}

export function scheduleId(name: ScheduleName, s: Pick<ScheduleSettings, 'idPrefix'>): string {
  return `${s.idPrefix ?? ''}${SCHEDULE_IDS[name]}`;
}

interface Definition {
  readonly everyMs: number;
  readonly action: ScheduleOptionsStartWorkflowAction<Workflow>;
  readonly overlap: ScheduleOverlapPolicy;
  readonly note: string;
}

function definition(name: ScheduleName, s: ScheduleSettings): Definition {
  const id = scheduleId(name, s);
  switch (name) {
    case 'stream': {
      const input: StreamNewDataInput = { count: s.streamBatchSize };
      return {
        everyMs: s.streamIntervalMs,
        overlap: ScheduleOverlapPolicy.SKIP,
        note: `publishes ${s.streamBatchSize} new samples`,
        action: {
          type: 'startWorkflow',
          workflowType: 'streamNewDataWorkflow',
          args: [input],
          taskQueue: s.taskQueue,
          workflowId: `${id}-run`,
        },
      };
    }
    case 'retrain': {
      const input: RetrainTriggerInput = {};
      return {
        everyMs: s.retrainIntervalMs,
        overlap: ScheduleOverlapPolicy.SKIP,
        note: 'starts a retrain cycle',
        action: {
          type: 'startWorkflow',
          workflowType: 'retrainTriggerWorkflow',
          args: [input],
          taskQueue: s.taskQueue,
          workflowId: `${id}-run`,
        },
      };
    }
    case 'lag-trigger': {
      const input: LagCheckInput = { lagThreshold: s.lagThreshold };
      return {
        everyMs: s.lagCheckIntervalMs,
        overlap: ScheduleOverlapPolicy.SKIP,
        note: `retrains once ${s.lagThreshold} records wait`,
        action: {
          type: 'startWorkflow',
          workflowType: 'lagCheckWorkflow',
          args: [input],
          taskQueue: s.taskQueue,
          workflowId: `${id}-run`,
        },
      };
    }
  }
}

export type EnsureOutcome = 'created' | 'updated';

/**
 * Creates the schedule, or brings an existing one in line with the settings. The paused state is left as
 * it is: re-running `schedule create` must not undo an operator's pause.
 */
export async function ensureSchedule(
  client: Client,
  name: ScheduleName,
  s: ScheduleSettings,
): Promise<EnsureOutcome> {
  const d = definition(name, s);
  const id = scheduleId(name, s);
  const spec = { intervals: [{ every: d.everyMs }] };
  // A tick missed while the server was down is not worth catching up beyond one interval.
  const policies = { overlap: d.overlap, catchupWindow: Math.max(d.everyMs, 60_000), pauseOnFailure: false };
  try {
    await client.schedule.create({
      scheduleId: id,
      spec,
      action: d.action,
      policies,
      state: { note: d.note },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(id).update((prev) => ({
    ...prev,
    spec,
    action: d.action,
    policies,
    state: { paused: prev.state.paused, note: prev.state.note },
  }));
  return 'updated';
}

/** `stream`, `retrain`, `lag-trigger` or `all`, as typed on the command line. */
export function parseScheduleTarget(target: string): ScheduleName[] {
  if (target === 'all') return [...SCHEDULE_NAMES];
  if ((SCHEDULE_NAMES as readonly string[]).includes(target)) return [target as ScheduleName];
  throw badInput(`unknown schedule "${target}": expected one of ${[...SCHEDULE_NAMES, 'all'].join(', ')}`);
}

/** What `fn` returns, or `missing` when the schedule does not exist. */
async function unlessMissing<T, M>(fn: () => Promise<T>, missing: M): Promise<T | M> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return missing;
    throw err;
  }
}

export async function describeSchedule(
  client: Client,
  name: ScheduleName,
  s: Pick<ScheduleSettings, 'idPrefix'>,
): Promise<ScheduleDescription | undefined> {
  return unlessMissing(() => client.schedule.getHandle(scheduleId(name, s)).describe(), undefined);
}

/** The handle of an existing schedule; a missing one is "not ready", naming the command that creates it. */
export async function existingSchedule(
  ...[client, name, s]: Parameters<typeof describeSchedule>
): Promise<ScheduleHandle> {
  if (!(await describeSchedule(client, name, s))) {
    const id = scheduleId(name, s);
    throw notReady(`schedule ${name} (${id}) does not exist: create it with \`schedule create ${name}\``);
  }
  return client.schedule.getHandle(scheduleId(name, s));
}

/** Deletes the schedule; a missing one is already what was asked for. */
export async function deleteSchedule(
  client: Client,
  name: ScheduleName,
  s: Pick<ScheduleSettings, 'idPrefix'>,
): Promise<boolean> {
  const handle = client.schedule.getHandle(scheduleId(name, s));
  return unlessMissing(() => handle.delete().then(() => true), false);
}

/** Runs the actions the schedule would have taken in [from, to] now, one after another. */
export async function backfillSchedule(
  client: Client,
  name: ScheduleName,
  s: Pick<ScheduleSettings, 'idPrefix'>,
  from: Date,
  to: Date,
): Promise<void> {
  if (!(from.getTime() < to.getTime()))
    throw badInput(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  const handle = await existingSchedule(client, name, s);
  // BUFFER_ALL: a backfill is an explicit request for every missed run, so none may be skipped.
  await handle.backfill({ start: from, end: to, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
}

/** One line per schedule for `status` and `schedule describe`. */
export interface ScheduleState {
  readonly name: ScheduleName;
  readonly scheduleId: string;
  readonly exists: boolean;
  readonly paused?: boolean;
  readonly everyMs?: number;
  readonly note?: string;
  readonly nextRun?: Date;
  readonly lastRun?: Date;
  readonly actionsTaken?: number;
  readonly skippedOverlap?: number;
}

export function scheduleState(
  name: ScheduleName,
  scheduleId: string,
  d: ScheduleDescription | undefined,
): ScheduleState {
  if (!d) return { name, scheduleId, exists: false };
  const every = d.spec.intervals?.[0]?.every;
  return {
    name,
    scheduleId,
    exists: true,
    paused: d.state.paused,
    everyMs: typeof every === 'number' ? every : undefined,
    note: d.state.note,
    nextRun: d.info.nextActionTimes[0],
    lastRun: d.info.recentActions.at(-1)?.takenAt,
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
  };
}
