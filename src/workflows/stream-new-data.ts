import type { StreamNewDataInput, StreamNewDataResult } from '../shared';
import { ioActivities as io } from './activity-options';
import { invalidInput } from './errors';
import { trackProgress } from './progress';
import { startRetrainIfIdle } from './start-retrain';

/**
 * Publishes the next `count` samples of the stream split, then starts a retrain when the consumer
 * group's lag reached the threshold (unless one runs already).
 */
export async function streamNewDataWorkflow(input: StreamNewDataInput): Promise<StreamNewDataResult> {
  const progress = trackProgress('streamNewData');
  if (!input || !(Number.isInteger(input.count) && input.count > 0)) {
    throw invalidInput(`count must be a positive integer (samples to publish), got ${input?.count}`);
  }
  if (
    input.lagThreshold !== undefined &&
    !(Number.isInteger(input.lagThreshold) && input.lagThreshold >= 0)
  ) {
    throw invalidInput(`lagThreshold must be a non-negative integer, got ${input.lagThreshold}`);
  }
  progress.stage('reading settings');
  const settings = await io.readSettings();
  const lagThreshold = input.lagThreshold ?? settings.lagThreshold;

  progress.stage('publishing');
  const published = await io.publishStreamSamples({ count: input.count, replay: input.replay ?? false });
  progress.count('published', published.published);
  progress.count('skipped', published.skipped);

  progress.stage('checking consumer lag');
  const { lag } = await io.consumerLag();
  progress.count('lag', lag);
  const result: StreamNewDataResult = { ...published, lag, lagThreshold };
  if (lagThreshold === 0 || lag < lagThreshold) {
    progress.stage('done');
    return result;
  }
  progress.stage('starting retrain');
  const retrain = await startRetrainIfIdle(input.retrain, input.retrainWorkflowId);
  progress.stage(retrain.status === 'started' ? 'done: retrain started' : 'done: a retrain is running');
  return { ...result, retrain };
}
