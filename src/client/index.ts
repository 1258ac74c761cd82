/**
 * The programmatic client: what the CLI and the demo use, and what another program would.
 *
 *   const mlops = await MlopsClient.connect(loadConfig());
 *   await mlops.bootstrap({ epochs: 1 }, { onProgress: console.log });
 *   await mlops.stream(500);
 *   const { result } = await mlops.retrain();
 *   await mlops.schedules.ensure('all');
 *   await mlops.close();
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { BootstrapInput, RetrainInput } from '../shared';
import { connect } from './connection';
import { pipelineStatus } from './status';
import { bootstrap, retrain, stream, type RunOptions } from './runs';
import {
  backfillSchedule,
  deleteSchedule,
  describeSchedule,
  ensureSchedule,
  existingSchedule,
  parseScheduleTarget,
  scheduleId,
  scheduleSettings,
  scheduleState,
  type EnsureOutcome,
  type ScheduleIntervals,
  type ScheduleName,
  type ScheduleSettings,
  type ScheduleState,
} from './schedules';

export { ClientError, type ClientProblemKind } from './errors';
export { workflowUrl } from './connection';
export type { Finished, RunOptions } from './runs';
export type { PipelineStatus } from './status';
export { SCHEDULE_NAMES, type ScheduleName, type ScheduleState } from './schedules';

export interface ConnectOptions {
  readonly intervals?: Partial<ScheduleIntervals>;
  /** Other schedule settings; tests set `idPrefix` and a private `taskQueue` to stay apart from the real ones. */
  readonly schedules?: Partial<
    Pick<ScheduleSettings, 'idPrefix' | 'taskQueue' | 'streamBatchSize' | 'lagThreshold'>
  >;
}

/** Schedule operations on `stream`, `retrain`, `lag-trigger` or `all`. */
export class PipelineSchedules {
  constructor(
    private readonly client: Client,
    readonly settings: ScheduleSettings,
  ) {}

  async ensure(target: string): Promise<{ name: ScheduleName; outcome: EnsureOutcome }[]> {
    const out = [];
    for (const name of parseScheduleTarget(target)) {
      out.push({ name, outcome: await ensureSchedule(this.client, name, this.settings) });
    }
    return out;
  }

  async pause(target: string, note = 'paused from the CLI'): Promise<ScheduleName[]> {
    return this.each(target, async (name) =>
      (await existingSchedule(this.client, name, this.settings)).pause(note),
    );
  }

  async unpause(target: string, note = 'unpaused from the CLI'): Promise<ScheduleName[]> {
    return this.each(target, async (name) =>
      (await existingSchedule(this.client, name, this.settings)).unpause(note),
    );
  }

  /** Runs the action now; the schedule's own overlap policy (SKIP) still applies. */
  async trigger(target: string): Promise<ScheduleName[]> {
    return this.each(target, async (name) =>
      (await existingSchedule(this.client, name, this.settings)).trigger(),
    );
  }

  async backfill(target: string, from: Date, to: Date): Promise<ScheduleName[]> {
    return this.each(target, (name) => backfillSchedule(this.client, name, this.settings, from, to));
  }

  async delete(target: string): Promise<{ name: ScheduleName; deleted: boolean }[]> {
    const out = [];
    for (const name of parseScheduleTarget(target)) {
      out.push({ name, deleted: await deleteSchedule(this.client, name, this.settings) });
    }
    return out;
  }

  async describe(target: string): Promise<ScheduleState[]> {
    const out = [];
    for (const name of parseScheduleTarget(target)) {
      const id = scheduleId(name, this.settings);
      out.push(scheduleState(name, id, await describeSchedule(this.client, name, this.settings)));
    }
    return out;
  }

  /**
   * Workflows the schedules started that are still open. Read from the recent actions: the dev server
   * leaves the description's runningActions empty.
   */
  async runningWorkflows(target: string): Promise<{ workflowId: string; runId: string }[]> {
    const out = [];
    for (const name of parseScheduleTarget(target)) {
      const d = await describeSchedule(this.client, name, this.settings);
      for (const a of d?.info.recentActions ?? []) {
        const { workflowId, firstExecutionRunId: runId } = a.action.workflow;
        // Gone past retention: certainly not running.
        const w = await this.client.workflow
          .getHandle(workflowId, runId)
          .describe()
          .catch(() => undefined);
        if (w?.status.name === 'RUNNING') out.push({ workflowId, runId });
      }
    }
    return out;
  }

  private async each(target: string, fn: (name: ScheduleName) => Promise<void>): Promise<ScheduleName[]> {
    const names = parseScheduleTarget(target);
    for (const name of names) await fn(name);
    return names;
  }
}

export class MlopsClient {
  readonly schedules: PipelineSchedules;

  private constructor(
    readonly config: Config,
    readonly temporal: Client,
    private readonly closeConnection: () => Promise<void>,
    options: ConnectOptions,
  ) {
    this.schedules = new PipelineSchedules(temporal, {
      ...scheduleSettings(config, options.intervals),
      ...options.schedules,
    });
  }

  /** Connects to Temporal; `intervals` override the configured schedule intervals (the demo's are faster). */
  static async connect(config: Config, options: ConnectOptions = {}): Promise<MlopsClient> {
    const c = await connect(config);
    return new MlopsClient(config, c.client, c.close, options);
  }

  bootstrap(input: BootstrapInput = {}, opts: RunOptions = {}) {
    return bootstrap(this.temporal, input, opts);
  }

  stream(
    count: number,
    options: { replay?: boolean; lagThreshold?: number; retrain?: RetrainInput } & RunOptions = {},
  ) {
    return stream(this.temporal, count, options);
  }

  retrain(input: RetrainInput = {}, opts: RunOptions = {}) {
    return retrain(this.temporal, input, opts);
  }

  status(options: { cycles?: number } = {}) {
    return pipelineStatus(this.config, this.temporal, {
      ...options,
      scheduleIdPrefix: this.schedules.settings.idPrefix,
    });
  }

  close(): Promise<void> {
    return this.closeConnection();
  }
}
