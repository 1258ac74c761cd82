/**
 * The run-tracker port: what domain/tracking needs of an experiment tracker, in MLflow's data model
 * (experiments, runs, metrics, datasets, registered versions). adapters/mlflow implements it over HTTP;
 * tests pass an in-memory fake.
 */
import type {
  DatasetInput,
  Experiment,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
} from './tracker-types';

export type * from './tracker-types';

/** Tag holding the caller's idempotency key (e.g. a Temporal workflow id + activity name). */
export const IDEMPOTENCY_TAG = 'temporal_mlops.idempotency_key';

/** Limits of dataset inputs (mlflow/utils/validation.py): MLflow stores these in fixed-size columns. */
export const DATASET_LIMITS = {
  maxName: 500,
  maxDigest: 36,
  maxSource: 65535,
  maxSchema: 1048575,
  maxProfile: 16777215,
  maxTagKey: 255,
  maxTagValue: 500,
} as const;

export interface MetricInput {
  key: string;
  value: number;
  /** Defaults to 0. */
  step?: number;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
}

export interface LogBatchInput {
  metrics?: readonly MetricInput[];
  /** Params are write-once in MLflow: re-logging the same value is fine, a different one is an error. */
  params?: Readonly<Record<string, string | number | boolean>>;
  tags?: Readonly<Record<string, string>>;
}

export interface CreateRunInput {
  experimentId: string;
  runName?: string;
  /** Milliseconds since the epoch; defaults to now. */
  startTime?: number;
  tags?: Readonly<Record<string, string>>;
}

export interface UpdateRunInput {
  status?: RunStatus;
  /** Milliseconds since the epoch. */
  endTime?: number;
  runName?: string;
}

export interface CreateModelVersionInput {
  name: string;
  /** Where the model files are, inside the run: e.g. `${run.info.artifact_uri}/model`. */
  source: string;
  runId: string;
  description?: string;
  tags?: Readonly<Record<string, string>>;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
}

/** Our own validation of input before anything is sent: the caller passed something MLflow would reject. */
export class MlflowInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlflowInputError';
  }
}

/** The calls a run plan makes; MlflowClient fits it. */
export interface TrackingClient {
  readonly tracking: {
    getOrCreateExperiment(
      name: string,
      options?: { tags?: Readonly<Record<string, string>>; onDeleted?: 'restore' | 'error' },
    ): Promise<Experiment>;
    getOrCreateRun(
      input: CreateRunInput & { idempotencyKey: string },
    ): Promise<{ run: Run; created: boolean }>;
    logBatch(runId: string, input: LogBatchInput): Promise<{ requests: number }>;
    logInputs(runId: string, datasets: readonly DatasetInput[]): Promise<void>;
    updateRun(runId: string, update: UpdateRunInput): Promise<RunInfo>;
  };
  readonly artifacts: {
    upload(artifactUri: string, artifactPath: string, bytes: Uint8Array): Promise<void>;
    uploadDirectory(
      artifactUri: string,
      localDir: string,
      artifactPath?: string,
    ): Promise<{ files: number; bytes: number }>;
  };
  readonly registry: {
    getOrCreateRegisteredModel(
      name: string,
      options?: { description?: string; tags?: Readonly<Record<string, string>> },
    ): Promise<RegisteredModel>;
    registerModelVersion(
      input: CreateModelVersionInput,
      wait?: WaitOptions,
    ): Promise<{ version: ModelVersion; created: boolean }>;
    setAlias(name: string, alias: string, version: string): Promise<void>;
  };
}
