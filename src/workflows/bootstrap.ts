import type { BootstrapInput, BootstrapResult } from '../shared';
import { ioActivities as io, trainingActivities } from './activity-options';
import { invalidInput } from './errors';
import { splitMetrics } from '../domain/cycle/outcome';
import { trackProgress } from './progress';
import { newVersionId, runKey } from './run-keys';

/**
 * First champion: prepare the splits, train from scratch on the training queue, evaluate, store, promote,
 * and log the MLflow run with the registered version under alias `champion`. With a champion in place it
 * only reports it, unless `force`.
 */
export async function bootstrapWorkflow(input: BootstrapInput = {}): Promise<BootstrapResult> {
  const progress = trackProgress('bootstrap');
  if (input.epochs !== undefined && !(Number.isInteger(input.epochs) && input.epochs > 0)) {
    throw invalidInput(`epochs must be a positive integer, got ${input.epochs}`);
  }
  progress.stage('reading settings');
  const settings = await io.readSettings();
  const training = trainingActivities(settings.trainingTaskQueue);

  progress.stage('checking champion');
  const existing = await io.getChampion();
  if (existing && !input.force) {
    progress.stage('done: champion exists');
    return { status: 'champion-exists', championVersionId: existing.versionId };
  }

  progress.stage('preparing data');
  const data = await io.prepareData();
  progress.count('trainSamples', data.counts.train);

  const key = runKey();
  progress.stage('training');
  const staged = await training.trainInitialModel({ key, epochs: input.epochs ?? settings.epochs });
  progress.count('epochs', staged.epochs.length);

  progress.stage('evaluating');
  const { reportFile, ...scores } = await training.evaluateOnSplits({
    modelDir: staged.dir,
    report: { key, name: 'initial' },
  });
  const metrics = splitMetrics('', scores);

  progress.stage('storing model');
  const versionId = newVersionId();
  await io.storeModelVersion({
    versionId,
    stagedDir: staged.dir,
    metrics,
    scores,
    hyperparameters: staged.hyperparameters,
    parentVersionId: null,
    batchIds: [],
    manifestId: data.manifestId,
    retrainCycleId: null,
  });
  progress.stage('promoting');
  const promoted = await io.promoteModel({ versionId });

  progress.stage('logging to MLflow');
  const run = await io.logBootstrapRun({
    key,
    versionId,
    hyperparameters: staged.hyperparameters,
    params: { train_samples: data.counts.train, resumed_from_epoch: staged.resumedFromEpoch },
    epochs: staged.epochs,
    scores,
    reportFile: reportFile ?? '',
  });
  await io.cleanUpRun({ key });
  progress.stage('done: trained');
  return {
    status: 'trained',
    championVersionId: versionId,
    previousChampionVersionId: promoted.previousVersionId,
    scores,
    epochs: staged.epochs,
    mlflowRunId: run.runId,
    registeredVersion: run.registeredVersion ?? '',
  };
}
