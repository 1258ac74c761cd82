import { patched } from '@temporalio/workflow';
import type { PipelineSettings, RetrainLogInput } from '../activities/contracts';
import type { RetrainInput, RetrainResult, SplitScores } from '../shared';
import { ioActivities as io, mlflowCatchUpActivities, trainingActivities } from './activity-options';
import { invalidInput } from './errors';
import { scoreMetrics, splitMetrics } from './metrics';
import { trackProgress } from './progress';
import { decidePromotion } from './promotion-rule';
import { newVersionId, runKey } from './run-keys';

/** Cycle-record metrics per poison reason, named like the MLflow run's (`dead_letters/<reason>`). */
function reasonMetrics(byReason: Readonly<Record<string, number>> = {}): Record<string, number> {
  return Object.fromEntries(Object.entries(byReason).map(([r, n]) => [`dead_letters/${r}`, n]));
}

/** Patch id: cycles started after it log to MLflow last, after the ledger and the offset commit. */
const MLFLOW_AFTER_COMMIT = 'mlflow-after-commit';
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
  const logSettings = {
    fineTuneEpochs: settings.fineTuneEpochs,
    promotionMinGain: settings.promotion.minGain,
    promotionTestTolerance: settings.promotion.testTolerance,
  };

  progress.stage('checking champion');
  const champion = await io.getChampion();
  const noCounts = { consumed: 0, valid: 0, deadLettered: 0 };
  if (!champion) {
    const reason = 'skipped: no champion yet (run bootstrap first)';
    await io.recordCycle({
      cycleId,
      decision: 'skipped',
      reason,
      championBefore: null,
      championAfter: null,
      metrics: {},
    });
    progress.stage(reason);
    return {
      cycleId,
      decision: 'skipped',
      reason,
      counts: noCounts,
      championBefore: null,
      championAfter: null,
    };
  }
  const championBefore = champion.versionId;

  // (1)-(3) consume a bounded batch (no commit), dead-letter invalid records, snapshot + ledger.
  progress.stage('taking batch');
  const batch = await io.takeBatch(settings.batch);
  if (batch.status === 'too-few') {
    const reason = `skipped: not enough new data (${batch.available} records, need ${settings.batch.minRecords})`;
    progress.count('available', batch.available);
    const run = await io.logRetrainRun({
      key: cycleId,
      decision: 'skipped',
      reason,
      championBefore,
      championAfter: championBefore,
      settings: logSettings,
      counts: noCounts,
    });
    await io.recordCycle({
      cycleId,
      decision: 'skipped',
      reason,
      championBefore,
      championAfter: championBefore,
      metrics: { available: batch.available, mlflow_run_id: run.runId },
    });
    progress.stage(reason);
    return {
      cycleId,
      decision: 'skipped',
      reason,
      counts: { ...noCounts, consumed: batch.available },
      championBefore,
      championAfter: championBefore,
      mlflowRunId: run.runId,
    };
  }
  const counts = { consumed: batch.consumed, valid: batch.valid, deadLettered: batch.deadLettered };
  progress.count('consumed', counts.consumed);
  progress.count('valid', counts.valid);
  progress.count('deadLettered', counts.deadLettered);
  const countMetrics = {
    consumed: counts.consumed,
    valid: counts.valid,
    dead_lettered: counts.deadLettered,
    ...reasonMetrics(batch.deadLettersByReason),
    batch_ids: batch.batchIds.join(','),
  };

  // A batch of pure poison: its records are on the dead-letter topic already, and nothing is left to
  // train on. It is marked used and the offsets move past it, so the next cycle reads new data instead
  // of finding the same dead batch pending forever. A batch with at least one valid record trains,
  // however few: RETRAIN_MIN_RECORDS gates how many records are read, and waiting would not bring the
  // dead-lettered ones back.
  if (batch.valid === 0) {
    const reason = `skipped: no valid records in batch (${counts.deadLettered} dead-lettered)`;
    const run = await io.logRetrainRun({
      key: cycleId,
      decision: 'skipped',
      reason,
      championBefore,
      championAfter: championBefore,
      settings: logSettings,
      counts,
      batchIds: batch.batchIds,
    });
    await io.recordCycle({
      cycleId,
      decision: 'skipped',
      reason,
      championBefore,
      championAfter: championBefore,
      metrics: { ...countMetrics, mlflow_run_id: run.runId },
    });
    progress.stage('marking batch used');
    await io.markBatchesUsed({ batchIds: batch.batchIds, cycleId });
    progress.stage('committing offsets');
    await io.commitOffsets();
    progress.stage(reason);
    return {
      cycleId,
      decision: 'skipped',
      reason,
      batchIds: batch.batchIds,
      counts,
      championBefore,
      championAfter: championBefore,
      mlflowRunId: run.runId,
      resumedBatch: batch.resumed,
    };
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
  const metrics = {
    ...scoreMetrics('prequential', prequential),
    ...splitMetrics('champion_', championScores),
    ...splitMetrics('challenger_', challengerScores),
    validation_gain: verdict.validationGain,
    test_drop: verdict.testDrop,
  };

  let championAfter = championBefore;
  let newVersion: string | undefined;
  if (verdict.promote) {
    progress.stage('promoting challenger');
    newVersion = newVersionId();
    await io.storeModelVersion({
      versionId: newVersion,
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
    await io.promoteModel({ versionId: newVersion });
    championAfter = newVersion;
  }
  const decision = verdict.promote ? 'promoted' : 'rejected';

  // (7) One MLflow run per cycle, promoted or not; the registry alias moves only on promotion.
  const runInput: RetrainLogInput = {
    key: cycleId,
    decision,
    reason: verdict.reason,
    championBefore,
    championAfter,
    settings: logSettings,
    hyperparameters: staged.hyperparameters,
    ...(staged.mix ? { mix: staged.mix } : {}),
    counts,
    batchIds: batch.batchIds,
    prequential,
    champion: championScores,
    challenger: challengerScores,
    epochs: staged.epochs,
    ...(newVersion ? { promotedVersionId: newVersion } : {}),
    ...(reportFile ? { reportFile } : {}),
  };
  const recordCycle = (runId?: string) =>
    io.recordCycle({
      cycleId,
      decision,
      reason: verdict.reason,
      championBefore,
      championAfter,
      metrics: { ...metrics, ...countMetrics, ...(runId ? { mlflow_run_id: runId } : {}) },
    });
  // (8) Batch files moved and marked used in the ledger, and only then the offsets committed.
  const finishBatch = async () => {
    progress.stage('marking batch used');
    await io.markBatchesUsed({ batchIds: batch.batchIds, cycleId });
    progress.stage('committing offsets');
    await io.commitOffsets();
  };

  let run: { runId: string };
  if (patched(MLFLOW_AFTER_COMMIT)) {
    // MLflow down must not hold the cycle open: the ledger, the batch and the offsets are settled first
    // (the run is found by its cycle_id tag), then logging retries until the server is back.
    progress.stage('recording cycle');
    await recordCycle();
    await finishBatch();
    progress.stage('logging to MLflow');
    run = await mlflowCatchUpActivities.logRetrainRun(runInput);
  } else {
    progress.stage('logging to MLflow');
    run = await io.logRetrainRun(runInput);
    progress.stage('recording cycle');
    await recordCycle(run.runId);
    await finishBatch();
  }
  await io.cleanUpRun({ key: cycleId });

  progress.stage(`done: ${decision}`);
  return {
    cycleId,
    decision,
    reason: verdict.reason,
    batchIds: batch.batchIds,
    counts,
    championBefore,
    championAfter,
    prequentialAccuracy: prequential.accuracy,
    champion: championScores,
    challenger: challengerScores,
    mlflowRunId: run.runId,
    resumedBatch: batch.resumed,
  };
}
