/**
 * The outcome of one retrain cycle: the one shape every view of a cycle is derived from (the workflow's
 * result, the ledger's cycle record, the MLflow run, the CLI and the dashboard). Pure and free of I/O, so
 * the workflow uses it as it uses the promotion rule.
 */
import type { EpochRecord, RetrainDecision, RetrainResult, Score, SplitScores } from '../../shared';

export interface CycleCounts {
  readonly consumed: number;
  readonly valid: number;
  readonly deadLettered: number;
}

/** The settings a cycle decided with (logged as the MLflow run's params). */
export interface CycleSettings {
  readonly fineTuneEpochs: number;
  readonly promotionMinGain: number;
  readonly promotionTestTolerance: number;
}

export interface CycleOutcome {
  readonly cycleId: string;
  readonly decision: RetrainDecision;
  /** Why, in words: the promotion rule's verdict or the reason for skipping. */
  readonly reason: string;
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  readonly settings: CycleSettings;
  readonly counts: CycleCounts;
  /** Skipped for too few records: how many were waiting. */
  readonly available?: number;
  /** The batches taken (one per partition read); absent when the cycle ended before taking any. */
  readonly batchIds?: readonly string[];
  /** Whether the batch was resumed from the ledger rather than consumed now. */
  readonly resumedBatch?: boolean;
  readonly deadLettersByReason?: Readonly<Record<string, number>>;
  /** The champion on the new batch before training on it: the drift signal. */
  readonly prequential?: Score;
  readonly champion?: SplitScores;
  readonly challenger?: SplitScores;
  /** How the challenger was fine-tuned. */
  readonly hyperparameters?: Readonly<Record<string, number | string>>;
  readonly mix?: { readonly newCount: number; readonly replayCount: number };
  readonly epochs?: readonly EpochRecord[];
  /** What fine-tuning fed to the optimizer, per batch id (training-evidence.ts). */
  readonly fedDigests?: Readonly<Record<string, string>>;
  /** Promoted cycles: the stored challenger, registered and aliased `champion`. */
  readonly promotedVersionId?: string;
  /** The challenger's evaluation report (confusion matrix), kept out of the workflow history. */
  readonly reportFile?: string;
}

/** A cycle that trained a challenger (promoted or rejected), as opposed to one that skipped. */
export const trainedChallenger = (o: CycleOutcome): boolean => o.challenger !== undefined;

export function scoreMetrics(prefix: string, s: Score): Record<string, number> {
  return { [`${prefix}_accuracy`]: s.accuracy, [`${prefix}_loss`]: s.loss };
}

export function splitMetrics(prefix: string, s: SplitScores): Record<string, number> {
  return { ...scoreMetrics(`${prefix}validation`, s.validation), ...scoreMetrics(`${prefix}test`, s.test) };
}

/** The promotion rule's two numbers, with its definitions. */
export function comparison(champion: SplitScores, challenger: SplitScores) {
  return {
    validationGain: challenger.validation.accuracy - champion.validation.accuracy,
    testDrop: champion.test.accuracy - challenger.test.accuracy,
  };
}

/** The ledger's flat metrics of a cycle (named like the MLflow run's). */
export function cycleMetrics(o: CycleOutcome, mlflowRunId?: string): Record<string, number | string> {
  const gain = o.champion && o.challenger ? comparison(o.champion, o.challenger) : undefined;
  return {
    ...(o.available !== undefined ? { available: o.available } : {}),
    ...(o.prequential ? scoreMetrics('prequential', o.prequential) : {}),
    ...(o.champion ? splitMetrics('champion_', o.champion) : {}),
    ...(o.challenger ? splitMetrics('challenger_', o.challenger) : {}),
    ...(gain ? { validation_gain: gain.validationGain, test_drop: gain.testDrop } : {}),
    ...(o.fedDigests
      ? {
          fine_tune_epochs: o.settings.fineTuneEpochs,
          ...Object.fromEntries(Object.entries(o.fedDigests).map(([id, d]) => [`fed_digest/${id}`, d])),
        }
      : {}),
    ...(o.batchIds
      ? {
          consumed: o.counts.consumed,
          valid: o.counts.valid,
          dead_lettered: o.counts.deadLettered,
          ...Object.fromEntries(
            Object.entries(o.deadLettersByReason ?? {}).map(([r, n]) => [`dead_letters/${r}`, n]),
          ),
          batch_ids: o.batchIds.join(','),
        }
      : {}),
    ...(mlflowRunId ? { mlflow_run_id: mlflowRunId } : {}),
  };
}

/** The ledger's record of a cycle. */
export function cycleRecord(o: CycleOutcome, mlflowRunId?: string) {
  const { cycleId, decision, reason, championBefore, championAfter } = o;
  return { cycleId, decision, reason, championBefore, championAfter, metrics: cycleMetrics(o, mlflowRunId) };
}

/** What retrainWorkflow returns. */
export function cycleResult(o: CycleOutcome, mlflowRunId?: string): RetrainResult {
  return {
    cycleId: o.cycleId,
    decision: o.decision,
    reason: o.reason,
    ...(o.batchIds ? { batchIds: o.batchIds } : {}),
    counts: o.counts,
    championBefore: o.championBefore,
    championAfter: o.championAfter,
    ...(o.prequential ? { prequentialAccuracy: o.prequential.accuracy } : {}),
    ...(o.champion ? { champion: o.champion } : {}),
    ...(o.challenger ? { challenger: o.challenger } : {}),
    ...(mlflowRunId ? { mlflowRunId } : {}),
    ...(o.resumedBatch !== undefined ? { resumedBatch: o.resumedBatch } : {}),
  };
}
