import type { RetrainStart, RetrainTriggerInput } from '../shared';
import { ioActivities as io } from './activity-options';
import { invalidInput } from './errors';
import { trackProgress } from './progress';
import { startRetrainIfIdle } from './start-retrain';

export interface LagCheckInput extends RetrainTriggerInput {
  /** Overrides RETRAIN_LAG_THRESHOLD. */
  readonly lagThreshold?: number;
}

/**
 * What the lag-trigger schedule runs: starts a retrain when the consumer lag reached the threshold, for
 * records that arrive from any producer, not only from streamNewData (which checks after publishing).
 * Below the threshold it records nothing, so a frequent check leaves no trace in the ledger.
 */
export async function lagCheckWorkflow(input: LagCheckInput = {}): Promise<RetrainStart> {
  const progress = trackProgress('retrainTrigger');
  if (input.lagThreshold !== undefined && !(Number.isInteger(input.lagThreshold) && input.lagThreshold > 0)) {
    throw invalidInput(`lagThreshold must be a positive integer, got ${input.lagThreshold}`);
  }
  progress.stage('checking consumer lag');
  const threshold = input.lagThreshold ?? (await io.readSettings()).lagThreshold;
  const { lag } = await io.consumerLag();
  progress.count('lag', lag);
  if (lag < threshold) {
    progress.stage('done: lag below threshold');
    return { status: 'skipped', reason: `lag ${lag} is below the threshold ${threshold}` };
  }
  progress.stage('starting retrain');
  const result = await startRetrainIfIdle(input.retrain, input.retrainWorkflowId);
  progress.stage(result.status === 'started' ? 'done: retrain started' : 'done: a retrain is running');
  return result;
}
