/** The MLflow run of a bootstrap: the first champion, trained from scratch, registered under alias `champion`. */
import type { TrackingClient } from './tracker';
import { renderConfusionMatrixPng } from './confusion-matrix-png';
import { splitDatasetInputs, type ManifestSummary } from './datasets';
import { renderMisclassifiedPng, type MisclassifiedDigit } from './misclassified-png';
import { logPlannedRun } from './model-folder';
import {
  epochMetrics,
  hyperparameterParams,
  scoreMetrics,
  type EpochLog,
  type ScoreLog,
} from './run-metrics';
import { CHAMPION_ALIAS } from './run-plan';
import type { LoggedRun, RunPlan, RunPlanOptions, TrackingTarget } from './run-plan';

export const BOOTSTRAP_ARTIFACTS = {
  confusionMatrix: 'plots/confusion_matrix_test.png',
  misclassified: 'plots/misclassified_test.png',
} as const;

export interface BootstrapRunInput {
  /** Idempotency key, stable across retries of the logging activity (the workflow's run key). */
  readonly key: string;
  readonly workflowId: string;
  readonly runName?: string;
  readonly gitCommit: string;
  /** The stored model version: its folder holds model.json, the weights and metadata.json. */
  readonly version: { readonly id: string; readonly dir: string };
  /** Logged as params (snake_case), never as metrics. */
  readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
  /** More params, e.g. train_samples. */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly epochs: readonly EpochLog[];
  readonly evaluation: {
    readonly validation: ScoreLog;
    readonly test: ScoreLog & { readonly confusion: readonly (readonly number[])[] };
  };
  /** Test digits the model got wrong (pickMisclassified), drawn into a PNG grid. */
  readonly misclassified: readonly MisclassifiedDigit[];
  readonly manifest: ManifestSummary;
  /** Folder of the IDX files, for the dataset inputs' source. */
  readonly idxDir?: string;
}

function countOf(confusion: readonly (readonly number[])[]): number {
  return confusion.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
}

/** Everything the bootstrap run logs, without sending anything. */
export function planBootstrapRun(input: BootstrapRunInput): RunPlan {
  const { test, validation } = input.evaluation;
  const workflowTags = {
    workflow_id: input.workflowId,
    model_version_id: input.version.id,
    git_commit: input.gitCommit,
  };
  return {
    idempotencyKey: input.key,
    runName: input.runName ?? `bootstrap ${input.version.id}`,
    params: {
      ...hyperparameterParams(input.hyperparameters),
      ...input.params,
      split_manifest_id: input.manifest.id,
    },
    metrics: [
      ...epochMetrics(input.epochs),
      ...scoreMetrics('', 'validation', validation),
      ...scoreMetrics('', 'test', test),
    ],
    tags: {
      ...workflowTags,
      kind: 'bootstrap',
      decision: 'promoted',
      'mlflow.source.git.commit': input.gitCommit,
    },
    datasets: splitDatasetInputs(input.manifest, input.idxDir),
    files: [
      {
        path: BOOTSTRAP_ARTIFACTS.confusionMatrix,
        bytes: renderConfusionMatrixPng(
          test.confusion,
          `CONFUSION MATRIX - TEST (N=${countOf(test.confusion)})`,
        ),
      },
      {
        path: BOOTSTRAP_ARTIFACTS.misclassified,
        bytes: renderMisclassifiedPng(input.misclassified, 'MISCLASSIFIED TEST DIGITS'),
      },
    ],
    modelDir: input.version.dir,
    register: {
      description: `Bootstrap champion ${input.version.id}: test accuracy ${test.accuracy.toFixed(4)}`,
      tags: workflowTags,
      aliases: [CHAMPION_ALIAS],
    },
  };
}

/**
 * Logs the bootstrap run, registers the model as a new version and points `champion` at it. Safe to call
 * again with the same input: it finds and completes (or just reports) the run of the first call.
 */
export function logBootstrapRun(
  client: TrackingClient,
  target: TrackingTarget,
  input: BootstrapRunInput,
  options: RunPlanOptions = {},
): Promise<LoggedRun> {
  return logPlannedRun(client, target, options, {
    what: 'the bootstrap run',
    version: {
      dir: input.version.dir,
      hint: 'pass the folder of the stored version (the model store writes both), not a staging folder',
    },
    plan: () => planBootstrapRun(input),
  });
}
