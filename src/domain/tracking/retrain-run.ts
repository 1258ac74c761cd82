/**
 * The MLflow run of one retrain cycle, whatever its outcome: promoted (the challenger becomes a new
 * registered version and `champion` moves to it), rejected, or skipped (e.g. not enough new data).
 */
import type { CycleOutcome } from '../cycle/outcome';
import { deadLettersByReason } from '../ledger/batches';
import type { BatchEntry } from '../ledger/types';
import type { RetrainDecision } from '../../shared';
import { MlflowInputError } from './tracker';
import type { TrackingClient } from './tracker';
import { renderConfusionMatrixPng } from './confusion-matrix-png';
import { batchDatasetInput, type BatchDatasetSource } from './datasets';
import { logPlannedRun } from './model-folder';
import {
  epochMetrics,
  hyperparameterParams,
  scoreLogOf,
  scoreMetrics,
  type EpochLog,
  type MetricPointInput,
  type ScoreLog,
} from './run-metrics';
import {
  CHAMPION_ALIAS,
  type LoggedRun,
  type RunPlan,
  type RunPlanOptions,
  type TrackingTarget,
} from './run-plan';

export const RETRAIN_ARTIFACTS = {
  challengerConfusionMatrix: 'plots/challenger_confusion_matrix_test.png',
} as const;

export interface SplitScoreLogs {
  readonly validation: ScoreLog;
  readonly test: ScoreLog;
}

export interface RetrainRunInput {
  /** Idempotency key, stable across retries of the logging activity (the cycle id). */
  readonly key: string;
  readonly workflowId: string;
  readonly cycleId: string;
  readonly runName?: string;
  readonly gitCommit: string;
  readonly decision: RetrainDecision;
  /** Why, in words: the promotion rule's verdict or the reason for skipping. */
  readonly reason: string;
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  readonly settings: {
    readonly fineTuneEpochs: number;
    readonly replayShare: number;
    readonly promotionMinGain: number;
    readonly promotionTestTolerance: number;
  };
  /** Fine-tuning hyper-parameters; logged as params. */
  readonly hyperparameters?: Readonly<Record<string, string | number | boolean>>;
  /** How many new and replayed samples the challenger was fine-tuned on. */
  readonly mix?: { readonly newCount: number; readonly replayCount: number };
  readonly counts: {
    readonly consumed: number;
    readonly valid: number;
    readonly deadLettered: number;
    /** Dead letters per poison reason (e.g. "label-out-of-range"). */
    readonly deadLettersByReason?: Readonly<Record<string, number>>;
  };
  /** The batch trained on; unset when the cycle was skipped before taking one. */
  readonly batch?: BatchDatasetSource;
  /** The champion on the new batch before training on it: the drift signal. */
  readonly prequential?: ScoreLog;
  readonly champion?: SplitScoreLogs;
  readonly challenger?: SplitScoreLogs & {
    readonly test: ScoreLog & { readonly confusion: readonly (readonly number[])[] };
  };
  readonly epochs?: readonly EpochLog[];
  /** Promoted cycles only: the stored challenger version (folder with model.json, weights, metadata.json). */
  readonly promotedVersion?: { readonly id: string; readonly dir: string };
}

function checkConsistent(input: RetrainRunInput): void {
  const problems: string[] = [];
  if (input.decision === 'promoted') {
    if (!input.promotedVersion)
      problems.push('a promoted cycle needs promotedVersion (the stored challenger)');
    if (!input.challenger) problems.push('a promoted cycle needs the challenger scores');
    if (!input.batch) problems.push('a promoted cycle needs the batch it trained on');
    if (input.promotedVersion && input.championAfter !== input.promotedVersion.id) {
      problems.push(
        `championAfter is ${input.championAfter}, but the promoted version is ${input.promotedVersion.id}`,
      );
    }
  } else {
    if (input.promotedVersion)
      problems.push(`a ${input.decision} cycle registers no model; leave promotedVersion unset`);
    if (input.championAfter !== input.championBefore) {
      problems.push(
        `a ${input.decision} cycle keeps the champion, but championAfter differs from championBefore`,
      );
    }
  }
  if (problems.length > 0) {
    throw new MlflowInputError(`cannot log retrain cycle ${input.cycleId}: ${problems.join('; ')}`);
  }
}

function countMetrics(counts: RetrainRunInput['counts']): MetricPointInput[] {
  return [
    { key: 'consumed', value: counts.consumed, step: 0 },
    { key: 'valid', value: counts.valid, step: 0 },
    { key: 'dead_lettered', value: counts.deadLettered, step: 0 },
    ...Object.entries(counts.deadLettersByReason ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, value]) => ({ key: `dead_letters/${reason}`, value, step: 0 })),
  ];
}

function comparisonMetrics(champion: SplitScoreLogs, challenger: SplitScoreLogs): MetricPointInput[] {
  // Same definitions as the promotion rule, so the run shows the numbers the decision was made on.
  return [
    { key: 'validation_gain', value: challenger.validation.accuracy - champion.validation.accuracy, step: 0 },
    { key: 'test_drop', value: champion.test.accuracy - challenger.test.accuracy, step: 0 },
  ];
}

/** Where and by what a cycle's run is logged: what its outcome does not say. */
export interface RetrainRunContext {
  readonly workflowId: string;
  readonly gitCommit: string;
  readonly replayShare: number;
  /** The ledger's rows of the cycle's batches. */
  readonly batches: readonly BatchEntry[];
  /** The challenger's test confusion matrix, from its evaluation report. */
  readonly confusion?: readonly (readonly number[])[];
  /** Promoted cycles: the stored version's folder. */
  readonly promotedVersionDir?: string;
}

/** The run's input from the cycle's outcome. */
export function retrainRunInput(o: CycleOutcome, ctx: RetrainRunContext): RetrainRunInput {
  const [first] = ctx.batches;
  // The tracking composition logs one batch dataset; with several partitions the first stands for all.
  const batch: BatchDatasetSource | undefined = first && {
    batchId: first.id,
    sha256: first.sha256,
    records: ctx.batches.reduce((n, r) => n + r.validCount, 0),
    topic: first.topic,
    offsets: Object.fromEntries(
      ctx.batches.map((r) => [String(r.partition), `${r.startOffset}..${r.endOffset}`]),
    ),
  };
  const splits = (s: NonNullable<CycleOutcome['champion']>) => ({
    validation: scoreLogOf(s.validation),
    test: scoreLogOf(s.test),
  });
  return {
    key: o.cycleId,
    workflowId: ctx.workflowId,
    cycleId: o.cycleId,
    gitCommit: ctx.gitCommit,
    decision: o.decision,
    reason: o.reason,
    championBefore: o.championBefore,
    championAfter: o.championAfter,
    settings: { ...o.settings, replayShare: ctx.replayShare },
    ...(o.hyperparameters ? { hyperparameters: o.hyperparameters } : {}),
    ...(o.mix ? { mix: o.mix } : {}),
    // From the ledger, not the workflow: a resumed batch's reasons were counted by an earlier cycle.
    counts: { ...o.counts, deadLettersByReason: deadLettersByReason(ctx.batches) },
    ...(batch ? { batch } : {}),
    ...(o.prequential ? { prequential: scoreLogOf(o.prequential) } : {}),
    ...(o.champion ? { champion: splits(o.champion) } : {}),
    ...(o.challenger
      ? {
          challenger: {
            ...splits(o.challenger),
            test: { ...scoreLogOf(o.challenger.test), confusion: ctx.confusion ?? [] },
          },
        }
      : {}),
    ...(o.epochs ? { epochs: o.epochs } : {}),
    ...(o.promotedVersionId && ctx.promotedVersionDir
      ? { promotedVersion: { id: o.promotedVersionId, dir: ctx.promotedVersionDir } }
      : {}),
  };
}

/** Everything the retrain run logs, without sending anything. */
export function planRetrainRun(input: RetrainRunInput): RunPlan {
  checkConsistent(input);
  const { champion, challenger } = input;
  const s = input.settings;
  const version = input.promotedVersion;
  const batch = input.batch;
  const files: RunPlan['files'] = challenger
    ? [
        {
          path: RETRAIN_ARTIFACTS.challengerConfusionMatrix,
          bytes: renderConfusionMatrixPng(challenger.test.confusion, 'CHALLENGER - TEST CONFUSION MATRIX'),
        },
      ]
    : [];
  return {
    idempotencyKey: input.key,
    runName: input.runName ?? `retrain ${batch?.batchId ?? input.cycleId} (${input.decision})`,
    params: {
      ...hyperparameterParams(input.hyperparameters ?? {}),
      ...(batch
        ? { batch_id: batch.batchId, batch_topic: batch.topic, batch_offsets: JSON.stringify(batch.offsets) }
        : {}),
      ...(input.mix ? { new_samples: input.mix.newCount, replay_samples: input.mix.replayCount } : {}),
      replay_share: s.replayShare,
      fine_tune_epochs: s.fineTuneEpochs,
      promotion_min_gain: s.promotionMinGain,
      promotion_test_tolerance: s.promotionTestTolerance,
      ...(input.championBefore ? { parent_version_id: input.championBefore } : {}),
    },
    metrics: [
      ...countMetrics(input.counts),
      ...(input.prequential ? scoreMetrics('', 'prequential', input.prequential) : []),
      ...(champion
        ? [
            ...scoreMetrics('champion_', 'validation', champion.validation),
            ...scoreMetrics('champion_', 'test', champion.test),
          ]
        : []),
      ...(challenger
        ? [
            ...scoreMetrics('challenger_', 'validation', challenger.validation),
            ...scoreMetrics('challenger_', 'test', challenger.test),
          ]
        : []),
      ...(champion && challenger ? comparisonMetrics(champion, challenger) : []),
      ...epochMetrics(input.epochs ?? [], 'fine_tune_'),
    ],
    tags: {
      kind: 'retrain',
      decision: input.decision,
      reason: input.reason,
      cycle_id: input.cycleId,
      workflow_id: input.workflowId,
      champion_before: input.championBefore ?? 'none',
      champion_after: input.championAfter ?? 'none',
      git_commit: input.gitCommit,
      'mlflow.source.git.commit': input.gitCommit,
      // Shown as the run's description in the MLflow UI.
      'mlflow.note.content': `${input.decision}: ${input.reason}`,
      ...(version ? { model_version_id: version.id } : {}),
    },
    datasets: batch ? [batchDatasetInput(batch)] : [],
    files,
    ...(version
      ? {
          modelDir: version.dir,
          register: {
            description: `Challenger ${version.id} promoted in cycle ${input.cycleId}: ${input.reason}`,
            tags: {
              workflow_id: input.workflowId,
              cycle_id: input.cycleId,
              model_version_id: version.id,
              parent_version_id: input.championBefore ?? 'none',
              git_commit: input.gitCommit,
            },
            aliases: [CHAMPION_ALIAS],
          },
        }
      : {}),
  };
}

/**
 * Logs the cycle's run; on promotion registers the challenger and moves `champion` to it. Safe to call
 * again with the same input (see executeRunPlan).
 */
export function logRetrainRun(
  client: TrackingClient,
  target: TrackingTarget,
  input: RetrainRunInput,
  options: RunPlanOptions = {},
): Promise<LoggedRun> {
  return logPlannedRun(client, target, options, {
    what: `retrain cycle ${input.cycleId}`,
    ...(input.promotedVersion
      ? {
          version: {
            dir: input.promotedVersion.dir,
            hint: 'pass the folder of the stored challenger version (the model store writes both)',
          },
        }
      : {}),
    plan: () => planRetrainRun(input),
  });
}
