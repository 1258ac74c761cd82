/**
 * Carries out a planned MLflow run: everything a bootstrap or retrain run logs, in an order that a retried
 * attempt can repeat without duplicating anything.
 *
 * Why a retry is safe:
 * - the run is found again by its idempotency key (IDEMPOTENCY_TAG);
 * - every metric point is stamped with the run's start time, so a re-sent point is identical to the stored
 *   one and MLflow's SQL store drops it instead of adding a second point;
 * - params already stored with the same value are not re-sent; a different value is reported clearly
 *   (MLflow params are write-once) instead of failing deep inside log-batch;
 * - artifact uploads overwrite, dataset inputs are deduplicated by MLflow, and model registration finds
 *   the version registered from this run before creating one;
 * - the last step tags the run complete; a retry that finds that tag returns at once, so an attempt whose
 *   result was lost never moves the `champion` alias again after a later promotion moved it on.
 */
import {
  IDEMPOTENCY_TAG,
  MlflowInputError,
  type DatasetInput,
  type Run,
  type TrackingClient,
} from './tracker';
import type { MetricPointInput } from './run-metrics';

/** Where runs and models go: `loadConfig().mlflow` fits. */
export interface TrackingTarget {
  readonly experiment: string;
  readonly registeredModel: string;
}

export const LOGGING_STATE_TAG = 'temporal_mlops.logging';
export const REGISTERED_VERSION_TAG = 'temporal_mlops.registered_version';
export const CHAMPION_ALIAS = 'champion';
/** Artifact folder of the model files; the registered version's source points at it. */
export const MODEL_ARTIFACT_PATH = 'model';

export interface RunPlan {
  readonly idempotencyKey: string;
  readonly runName: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly metrics: readonly MetricPointInput[];
  readonly tags: Readonly<Record<string, string>>;
  readonly datasets: readonly DatasetInput[];
  /** Small generated artifacts (PNGs), by artifact path. */
  readonly files: readonly { readonly path: string; readonly bytes: Uint8Array }[];
  /** Folder uploaded under MODEL_ARTIFACT_PATH (model.json, weights, metadata.json). */
  readonly modelDir?: string;
  /** Register the uploaded model as a version of the registered model, and point these aliases at it. */
  readonly register?: {
    readonly description: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly aliases: readonly string[];
  };
}

export interface LoggedRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactUri: string;
  /** The registered model version ("3"), when the plan registered one. */
  readonly registeredVersion?: string;
  /** False when an earlier attempt had created the run. */
  readonly created: boolean;
  /** True when an earlier attempt had finished everything and nothing was sent now. */
  readonly alreadyComplete: boolean;
}

export interface RunPlanOptions {
  /** Limit for a model version to become READY. */
  readonly registrationTimeoutMs?: number;
}

function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

/** Params not yet stored; throws when one is stored with another value. */
function paramsToSend(run: Run, params: RunPlan['params']): Record<string, string | number | boolean> {
  const stored = new Map((run.data.params ?? []).map((p) => [p.key, p.value]));
  const out: Record<string, string | number | boolean> = {};
  const conflicts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const before = stored.get(key);
    if (before === undefined) out[key] = value;
    else if (before !== String(value))
      conflicts.push(`${key}: stored ${JSON.stringify(before)}, now ${JSON.stringify(String(value))}`);
  }
  if (conflicts.length > 0) {
    throw new MlflowInputError(
      `MLflow run ${run.info.run_id} (idempotency key ${JSON.stringify(tagOf(run, IDEMPOTENCY_TAG) ?? '?')}) ` +
        `already has different params (${conflicts.join('; ')}); params cannot change. The same key was reused ` +
        'for different work: start a new workflow run, or delete the MLflow run if it is wrong.',
    );
  }
  return out;
}

export async function executeRunPlan(
  client: TrackingClient,
  target: TrackingTarget,
  plan: RunPlan,
  options: RunPlanOptions = {},
): Promise<LoggedRun> {
  const experiment = await client.tracking.getOrCreateExperiment(target.experiment);
  const { run, created } = await client.tracking.getOrCreateRun({
    experimentId: experiment.experiment_id,
    idempotencyKey: plan.idempotencyKey,
    runName: plan.runName,
    tags: { [LOGGING_STATE_TAG]: 'started' },
  });
  const runId = run.info.run_id;
  const artifactUri = run.info.artifact_uri;
  const done = { runId, experimentId: experiment.experiment_id, artifactUri, created };
  if (tagOf(run, LOGGING_STATE_TAG) === 'complete') {
    const version = tagOf(run, REGISTERED_VERSION_TAG);
    return { ...done, ...(version ? { registeredVersion: version } : {}), alreadyComplete: true };
  }
  const timestamp = run.info.start_time;
  if (timestamp === undefined) {
    throw new Error(
      `MLflow returned run ${runId} without a start time; cannot stamp its metrics reproducibly`,
    );
  }
  try {
    // Independent of each other (a retry finds each done or redoes it alike): sent together.
    const params = paramsToSend(run, plan.params);
    await Promise.all([
      client.tracking.logBatch(runId, {
        params,
        tags: plan.tags,
        metrics: plan.metrics.map((m) => ({ ...m, timestamp })),
      }),
      client.tracking.logInputs(runId, plan.datasets),
      ...plan.files.map((f) => client.artifacts.upload(artifactUri, f.path, f.bytes)),
      ...(plan.modelDir
        ? [client.artifacts.uploadDirectory(artifactUri, plan.modelDir, MODEL_ARTIFACT_PATH)]
        : []),
    ]);

    let registeredVersion: string | undefined;
    if (plan.register) {
      if (!plan.modelDir) throw new Error('a run plan can only register a model it uploads: set modelDir');
      await client.registry.getOrCreateRegisteredModel(target.registeredModel, {
        description: 'MNIST CNN trained continuously by temporal-mlops',
      });
      const { version } = await client.registry.registerModelVersion(
        {
          name: target.registeredModel,
          source: `${artifactUri}/${MODEL_ARTIFACT_PATH}`,
          runId,
          description: plan.register.description,
          tags: plan.register.tags,
        },
        { timeoutMs: options.registrationTimeoutMs ?? 120_000 },
      );
      registeredVersion = version.version;
      for (const alias of plan.register.aliases) {
        await client.registry.setAlias(target.registeredModel, alias, registeredVersion);
      }
    }
    await client.tracking.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
    await client.tracking.logBatch(runId, {
      tags: {
        ...(registeredVersion ? { [REGISTERED_VERSION_TAG]: registeredVersion } : {}),
        [LOGGING_STATE_TAG]: 'complete',
      },
    });
    return { ...done, ...(registeredVersion ? { registeredVersion } : {}), alreadyComplete: false };
  } catch (err) {
    // Shows the attempt's failure in the UI; a retry that succeeds sets FINISHED again.
    await client.tracking.updateRun(runId, { status: 'FAILED', endTime: Date.now() }).catch(() => undefined);
    throw err;
  }
}
