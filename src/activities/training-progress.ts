/**
 * Heartbeats of a training activity, and the figures its workflow's `progress` query shows. Heartbeats
 * (throttled by the SDK) carry the resume point; the workflow learns epoch/batch/loss by a signal, sent
 * at most every SIGNAL_INTERVAL_MS so a long training run does not flood the workflow history.
 */
import { Context } from '@temporalio/activity';
import type { TrainingHeartbeat } from './contracts';
import type { TrainingProgress } from '../shared';

export const SIGNAL_INTERVAL_MS = 5000;

/** Sends training figures to the workflow that runs the activity; failures are the caller's to ignore. */
export type ProgressSink = (
  workflow: { workflowId: string; runId: string },
  progress: TrainingProgress,
) => Promise<void>;

export class TrainingReporter {
  private epochsCompleted: number;
  private checkpointDir: string | undefined;
  private lastSignal = 0;

  constructor(
    private readonly ctx: Context,
    resumedFrom: Pick<TrainingHeartbeat, 'epochsCompleted' | 'checkpointDir'> | undefined,
    private readonly sink: ProgressSink | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.epochsCompleted = resumedFrom?.epochsCompleted ?? 0;
    this.checkpointDir = resumedFrom?.checkpointDir;
  }

  /** Before the first batch, with the resume point it starts from. */
  started(progress: TrainingProgress): void {
    this.beat(progress);
  }

  /** After every batch. */
  batch(progress: TrainingProgress): void {
    this.beat(progress);
    // Standalone activities (and unit tests) have no workflow to tell.
    const execution = this.ctx.info.workflowExecution;
    if (this.sink && execution && this.now() - this.lastSignal >= SIGNAL_INTERVAL_MS) {
      this.lastSignal = this.now();
      // Progress is nice to have: a lost signal must never fail training.
      this.sink({ workflowId: execution.workflowId, runId: execution.runId }, progress).catch(
        () => undefined,
      );
    }
  }

  /** After a checkpoint of `epochsCompleted` epochs was saved to `dir`. */
  checkpoint(epochsCompleted: number, dir: string, progress: TrainingProgress): void {
    this.epochsCompleted = epochsCompleted;
    this.checkpointDir = dir;
    this.beat(progress);
  }

  private beat(progress: TrainingProgress): void {
    const details: TrainingHeartbeat = {
      progress,
      epochsCompleted: this.epochsCompleted,
      ...(this.checkpointDir ? { checkpointDir: this.checkpointDir } : {}),
    };
    this.ctx.heartbeat(details);
  }
}
