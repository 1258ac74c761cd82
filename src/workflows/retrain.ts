import { patched } from '@temporalio/workflow';
import type { PipelineSettings } from '../activities/contracts';
import {
  cycleRecord,
  cycleResult,
  splitMetrics,
  trainedChallenger,
  type CycleOutcome,
} from '../domain/cycle/outcome';
import type { RetrainInput, RetrainResult, SplitScores } from '../shared';
import { ioActivities as io, mlflowCatchUpActivities, trainingActivities } from './activity-options';
import { invalidInput } from './errors';
import { trackProgress, type ProgressTracker } from './progress';
import { decidePromotion } from './promotion-rule';
import { newVersionId, runKey } from './run-keys';

/** Patch id: skipped cycles end like trained ones (histories before it logged to MLflow first). */
const ONE_CYCLE_EXIT = 'one-cycle-exit';
/** Patch id: cycles started after it take the champion's scores from its metadata when it has them. */
const CHAMPION_SCORES_RECORDED = 'champion-scores-recorded';

function withOverrides(s: PipelineSettings, input: RetrainInput): PipelineSettings {
  const out: PipelineSettings = {
    ...s,
    fineTuneEpochs: input.fineTuneEpochs ?? s.fineTuneEpochs,
    batch: {
      minRecords: input.minRecords ?? s.batch.minRecords,
      maxRecords: input.maxRecords ?? s.batch.maxRecords,
      maxWaitMs: input.maxWaitMs ?? s.batch.maxWaitMs,
    },
    promotion: {
      minGain: input.promotionMinGain ?? s.promotion.minGain,
      testTolerance: input.promotionTestTolerance ?? s.promotion.testTolerance,
    },
  };
  const { minRecords, maxRecords, maxWaitMs } = out.batch;
  if (!(
    Number.isInteger(minRecords) &&
    minRecords > 0 &&
    Number.isInteger(maxRecords) &&
    maxRecords >= minRecords
  )) {
    throw invalidInput(
      `batch bounds must be integers with 0 < minRecords ≤ maxRecords, got ${minRecords}..${maxRecords}`,
    );
  }
  if (!(maxWaitMs > 0)) throw invalidInput(`maxWaitMs must be positive, got ${maxWaitMs}`);
  if (!(Number.isInteger(out.fineTuneEpochs) && out.fineTuneEpochs > 0)) {
    throw invalidInput(`fineTuneEpochs must be a positive integer, got ${out.fineTuneEpochs}`);
  }
  return out;
}

/**
 * One continuous-training cycle. Order matters: the batch is frozen (snapshot + ledger) before anything
 * trains on it, and the Kafka offsets are committed last, after the ledger marks the batch used; a crash
 * anywhere before that leaves the batch pending, and the next run resumes it instead of taking new data.
 */
export async function retrainWorkflow(input: RetrainInput = {}): Promise<RetrainResult> {
  const progress = trackProgress('retrain');
  const cycleId = runKey();
  progress.stage('reading settings');
  const settings = withOverrides(await io.readSettings(), input);
  const training = trainingActivities(settings.trainingTaskQueue);
  const noCounts = { consumed: 0, valid: 0, deadLettered: 0 };
  // What every outcome of this cycle starts from: the champion kept, nothing counted yet.
  const base = (championBefore: string | null) => ({
    cycleId,
    championBefore,
    championAfter: championBefore,
    settings: {
      fineTuneEpochs: settings.fineTuneEpochs,
      promotionMinGain: settings.promotion.minGain,
      promotionTestTolerance: settings.promotion.testTolerance,
    },
    counts: noCounts,
  });
  const skip = (reason: string, championBefore: string | null) => ({
    ...base(championBefore),
    decision: 'skipped' as const,
    reason: `skipped: ${reason}`,
  });

  progress.stage('checking champion');
  const champion = await io.getChampion();
  if (!champion) return finishCycle(skip('no champion yet (run bootstrap first)', null), progress);
  const championBefore = champion.versionId;

  // (1)-(3) consume a bounded batch (no commit), dead-letter invalid records, snapshot + ledger.
  progress.stage('taking batch');
  const batch = await io.takeBatch(settings.batch);
  if (batch.status === 'too-few') {
    progress.count('available', batch.available);
    const need = `${batch.available} records, need ${settings.batch.minRecords}`;
    return finishCycle(
      { ...skip(`not enough new data (${need})`, championBefore), available: batch.available },
      progress,
    );
  }
  const taken = {
    counts: { consumed: batch.consumed, valid: batch.valid, deadLettered: batch.deadLettered },
    batchIds: batch.batchIds,
    resumedBatch: batch.resumed,
    deadLettersByReason: batch.deadLettersByReason ?? {},
  };
  progress.count('consumed', batch.consumed);
  progress.count('valid', batch.valid);
  progress.count('deadLettered', batch.deadLettered);

  // A batch of pure poison: its records are on the dead-letter topic already, and nothing is left to
  // train on. It is marked used and the offsets move past it, so the next cycle reads new data instead
  // of finding the same dead batch pending forever. A batch with at least one valid record trains,
  // however few: RETRAIN_MIN_RECORDS gates how many records are read, and waiting would not bring the
  // dead-lettered ones back.
  if (batch.valid === 0) {
    const reason = `no valid records in batch (${batch.deadLettered} dead-lettered)`;
    return finishCycle({ ...skip(reason, championBefore), ...taken }, progress);
  }

  // (4) Prequential accuracy: the champion on data it has never seen, before training on it.
  progress.stage('evaluating champion on the new batch');
  const prequential = await training.evaluateOnBatch({ modelDir: champion.path, batchFiles: batch.files });

  // (5) Challenger: the champion fine-tuned on the batch plus replay.
  progress.stage('fine-tuning challenger');
  const staged = await training.fineTuneChallenger({
    key: cycleId,
    championDir: champion.path,
    batchFiles: batch.files,
    ...(batch.replayFiles ? { replayBatchFiles: batch.replayFiles } : {}),
    ...(champion.hyperparameters ? { championHyperparameters: champion.hyperparameters } : {}),
    epochs: settings.fineTuneEpochs,
  });

  // (6) Champion and challenger on the same validation and test sets; promote by the rule.
  progress.stage('evaluating champion and challenger');
  // A stored champion's scores on these sets cannot have changed: recorded ones are reused (3 s a cycle).
  const championScores: SplitScores =
    champion.scores && patched(CHAMPION_SCORES_RECORDED)
      ? champion.scores
      : await training.evaluateOnSplits({ modelDir: champion.path });
  const { reportFile, ...challengerScores } = await training.evaluateOnSplits({
    modelDir: staged.dir,
    report: { key: cycleId, name: 'challenger' },
  });
  const verdict = decidePromotion(championScores, challengerScores, settings.promotion);
  const trained = {
    ...base(championBefore),
    ...taken,
    reason: verdict.reason,
    prequential,
    champion: championScores,
    challenger: challengerScores,
    hyperparameters: staged.hyperparameters,
    ...(staged.mix ? { mix: staged.mix } : {}),
    ...(staged.fedDigests ? { fedDigests: staged.fedDigests } : {}),
    epochs: staged.epochs,
    ...(reportFile ? { reportFile } : {}),
  };
  if (!verdict.promote) return finishCycle({ ...trained, decision: 'rejected' }, progress);

  progress.stage('promoting challenger');
  const versionId = newVersionId();
  await io.storeModelVersion({
    versionId,
    stagedDir: staged.dir,
    metrics: splitMetrics('', challengerScores),
    scores: challengerScores,
    hyperparameters: staged.hyperparameters,
    parentVersionId: championBefore,
    batchIds: [...champion.batchIds, ...batch.batchIds],
    manifestId: null,
    retrainCycleId: cycleId,
  });
  // The store keeps every version in its archive: the old champion stays there, only the pointer moves.
  await io.promoteModel({ versionId });
  return finishCycle(
    { ...trained, decision: 'promoted', championAfter: versionId, promotedVersionId: versionId },
    progress,
  );
}

/**
 * Every exit of a cycle: the ledger's cycle record, then the batch marked used and the offsets committed,
 * and only then the MLflow run (found again by its cycle_id tag), so an MLflow outage cannot hold the
 * batch or the offsets open; logging retries until the server is back.
 */
async function finishCycle(outcome: CycleOutcome, progress: ProgressTracker): Promise<RetrainResult> {
  const trained = trainedChallenger(outcome);
  if (!trained && outcome.championBefore !== null && !patched(ONE_CYCLE_EXIT)) {
    return finishSkippedAsRecorded(outcome, progress);
  }
  progress.stage('recording cycle');
  await io.recordCycle(cycleRecord(outcome));
  if (outcome.batchIds) {
    progress.stage('marking batch used');
    await io.markBatchesUsed({ batchIds: outcome.batchIds, cycleId: outcome.cycleId });
    progress.stage('committing offsets');
    await io.commitOffsets();
  }
  // Without a champion there is no lineage to log against.
  let runId: string | undefined;
  if (outcome.championBefore !== null) {
    progress.stage('logging to MLflow');
    runId = (await mlflowCatchUpActivities.logRetrainRun(outcome)).runId;
  }
  if (trained) await io.cleanUpRun({ key: outcome.cycleId });
  progress.stage(trained ? `done: ${outcome.decision}` : outcome.reason);
  return cycleResult(outcome, runId);
}

/** Skipped cycles of histories recorded before ONE_CYCLE_EXIT logged to MLflow before the ledger. */
async function finishSkippedAsRecorded(
  outcome: CycleOutcome,
  progress: ProgressTracker,
): Promise<RetrainResult> {
  const run = await io.logRetrainRun(outcome);
  await io.recordCycle(cycleRecord(outcome, run.runId));
  if (outcome.batchIds) {
    await io.markBatchesUsed({ batchIds: outcome.batchIds, cycleId: outcome.cycleId });
    await io.commitOffsets();
  }
  progress.stage(outcome.reason);
  return cycleResult(outcome, run.runId);
}
