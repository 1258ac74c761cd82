/** Names shared by workflows, workers and clients: one module so a rename cannot split them. */
export const TASK_QUEUES = {
  /** Data, Kafka, MLflow, PostgreSQL and model-store activities. */
  io: 'mlops-io',
  /** Training and evaluation on the CPU (tfjs-node). */
  trainingCpu: 'mlops-training-cpu',
  /** Training and evaluation on the GPU (tfjs-node-gpu). */
  trainingGpu: 'mlops-training-gpu',
} as const;

export function trainingTaskQueue(device: 'cpu' | 'gpu'): string {
  return device === 'gpu' ? TASK_QUEUES.trainingGpu : TASK_QUEUES.trainingCpu;
}

/**
 * Fixed workflow ids. Every start of a retrain (manual, lag-triggered, scheduled) uses the same id, so
 * Temporal itself guarantees that at most one retrain runs at a time; likewise for bootstrap.
 */
export const WORKFLOW_IDS = {
  bootstrap: 'mlops-bootstrap',
  retrain: 'mlops-retrain',
} as const;

/** Name of the query every workflow answers with its WorkflowProgress. */
export const PROGRESS_QUERY = 'progress';
/** Signal a training activity sends to its workflow with TrainingProgress (throttled). */
export const TRAINING_PROGRESS_SIGNAL = 'trainingProgress';

/**
 * Error types that no retry can fix: bad input or bad configuration. Activities throw errors with these
 * names (Temporal turns an Error's `name` into the failure type); retry policies list them as
 * non-retryable, so a workflow fails fast with the message instead of retrying for hours.
 */
export const NON_RETRYABLE_ERROR_TYPES = [
  'InvalidInputError',
  'ConfigError',
  'MnistDataError',
  'MlflowInputError',
  'ModelStoreError',
  'MigrationError',
  'TensorFlowUnavailableError',
  'RecordFormatError',
  'NoChampionError',
] as const;
export type NonRetryableErrorType = (typeof NON_RETRYABLE_ERROR_TYPES)[number];

/** Loss and position of the training activity that runs now. */
export interface TrainingProgress {
  /** 0-based epoch being trained. */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based batch of that epoch. */
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  /** The epoch training (re)started at: > 0 after a resume from a checkpoint. */
  readonly resumedFromEpoch: number;
}

/** What the `progress` query returns: where a workflow is, and what it has counted so far. */
export interface WorkflowProgress {
  readonly workflow: 'bootstrap' | 'streamNewData' | 'retrain' | 'retrainTrigger';
  readonly stage: string;
  /** Set while a training activity runs. */
  readonly training?: TrainingProgress;
  readonly counts: Readonly<Record<string, number>>;
}

/** Accuracy and loss of one model on one set. */
export interface Score {
  readonly accuracy: number;
  readonly loss: number;
  readonly count: number;
  /** Accuracy per true digit (null where a digit is absent: JSON has no NaN). */
  readonly perClassAccuracy?: readonly (number | null)[];
}

/** Scores of one model on validation and test. */
export interface SplitScores {
  readonly validation: Score;
  readonly test: Score;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  readonly seconds: number;
}

export interface BootstrapInput {
  /** Train and promote a new champion even if one exists. */
  readonly force?: boolean;
  /** Overrides EPOCHS (tests, demos). */
  readonly epochs?: number;
}

export type BootstrapResult =
  | { readonly status: 'champion-exists'; readonly championVersionId: string }
  | {
      readonly status: 'trained';
      readonly championVersionId: string;
      readonly previousChampionVersionId: string | null;
      readonly scores: SplitScores;
      readonly epochs: readonly EpochRecord[];
      readonly mlflowRunId: string;
      readonly registeredVersion: string;
    };

export interface StreamNewDataInput {
  /** Samples of the stream split to publish (the next ones not yet published, in split order). */
  readonly count: number;
  /** Publish again samples that were already published (e.g. after the topic was recreated). */
  readonly replay?: boolean;
  /** Overrides RETRAIN_LAG_THRESHOLD; 0 never triggers. */
  readonly lagThreshold?: number;
  /** Settings of the retrain it may start. */
  readonly retrain?: RetrainInput;
  /** Id of the retrain it may start; WORKFLOW_IDS.retrain unless a test isolates itself. */
  readonly retrainWorkflowId?: string;
}

export interface RetrainTriggerInput {
  readonly retrain?: RetrainInput;
  /** WORKFLOW_IDS.retrain unless a test isolates itself. */
  readonly retrainWorkflowId?: string;
}

export type RetrainStart =
  | { readonly status: 'started'; readonly workflowId: string; readonly runId: string }
  | { readonly status: 'skipped'; readonly reason: string };

export interface StreamNewDataResult {
  readonly published: number;
  readonly skipped: number;
  /** Samples of the stream split not yet published after this run. */
  readonly remaining: number;
  readonly lag: number;
  readonly lagThreshold: number;
  /** Undefined when the lag stayed below the threshold. */
  readonly retrain?: RetrainStart;
}

export interface RetrainInput {
  /** Overrides of the cycle settings (tests, manual runs); unset ones come from the configuration. */
  readonly minRecords?: number;
  readonly maxRecords?: number;
  readonly maxWaitMs?: number;
  readonly fineTuneEpochs?: number;
  readonly promotionMinGain?: number;
  readonly promotionTestTolerance?: number;
}

export type RetrainDecision = 'promoted' | 'rejected' | 'skipped';

export interface PromotionVerdict {
  readonly promote: boolean;
  readonly reason: string;
  readonly validationGain: number;
  readonly testDrop: number;
}

export interface RetrainResult {
  readonly cycleId: string;
  readonly decision: RetrainDecision;
  readonly reason: string;
  readonly batchIds?: readonly string[];
  readonly counts: { readonly consumed: number; readonly valid: number; readonly deadLettered: number };
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  /** Champion accuracy on the new batch before training on it (prequential: the drift signal). */
  readonly prequentialAccuracy?: number;
  readonly champion?: SplitScores;
  readonly challenger?: SplitScores;
  readonly mlflowRunId?: string;
  /** Whether the batch was resumed from the ledger rather than consumed now. */
  readonly resumedBatch?: boolean;
}

export type RetrainTriggerResult = RetrainStart;
