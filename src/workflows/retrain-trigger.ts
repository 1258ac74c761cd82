import type { RetrainTriggerInput, RetrainTriggerResult } from '../shared';
import { trackProgress } from './progress';
import { startRetrainIfIdle } from './start-retrain';

/** What a Temporal Schedule runs: starts the retrain under its fixed id, or reports the one running. */
export async function retrainTriggerWorkflow(input: RetrainTriggerInput = {}): Promise<RetrainTriggerResult> {
  const progress = trackProgress('retrainTrigger');
  progress.stage('starting retrain');
  const result = await startRetrainIfIdle(input.retrain, input.retrainWorkflowId);
  progress.stage(result.status === 'started' ? 'retrain started' : 'skipped: a retrain is running');
  return result;
}
