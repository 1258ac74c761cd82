/**
 * What the workflows may ask of activities, as plain serialisable types. Workflows import these types only
 * (`import type`), so they neither pull domain code into the workflow bundle nor break when a domain
 * module changes shape; the real activities and the test fakes both implement them.
 */
import type { CycleOutcome, cycleRecord } from '../domain/cycle/outcome';
import type { EpochRecord, Score, SplitScores, TrainingProgress } from '../shared';

/** The configuration a workflow decides with, read once per run by an activity so replays see the same. */
export interface PipelineSettings {
  readonly trainingTaskQueue: string;
  readonly epochs: number;
  readonly fineTuneEpochs: number;
  readonly batch: { readonly minRecords: number; readonly maxRecords: number; readonly maxWaitMs: number };
  readonly lagThreshold: number;
  readonly promotion: { readonly minGain: number; readonly testTolerance: number };
}

export interface DataSummary {
  /** Split manifest id (sha256): the data lineage of every model trained from it. */
  readonly manifestId: string;
  readonly counts: {
    readonly train: number;
    readonly validation: number;
    readonly test: number;
    readonly stream: number;
  };
  readonly manifestWritten: boolean;
}

export interface ChampionSummary {
  readonly versionId: string;
  /** Folder holding model.json + weights.bin. */
  readonly path: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly batchIds: readonly string[];
  /**
   * Its validation and test scores as recorded when it was stored, present only when they were taken on
   * the current split manifest: then they are what evaluating it again would give.
   */
  readonly scores?: SplitScores;
  /** How it was trained; absent in histories recorded before fine-tuning continued its schedule. */
  readonly hyperparameters?: Readonly<Record<string, number | string>>;
}

/** A model a training activity saved outside the store, waiting to be evaluated / stored. */
export interface StagedModel {
  readonly dir: string;
  readonly epochs: readonly EpochRecord[];
  /** Epoch the final attempt started at (0 unless it resumed from a checkpoint). */
  readonly resumedFromEpoch: number;
  readonly hyperparameters: Readonly<Record<string, number | string>>;
  /** Fine-tuning only: how many new and replayed samples were trained on. */
  readonly mix?: { readonly newCount: number; readonly replayCount: number };
  /** Fine-tuning only: training evidence per batch id (domain/cycle/training-evidence.ts). */
  readonly fedDigests?: Readonly<Record<string, string>>;
}

export interface TrainInitialInput {
  /** Names the checkpoint and staging folders; stable across retries of one workflow run. */
  readonly key: string;
  readonly epochs: number;
}

export interface FineTuneInput {
  readonly key: string;
  readonly championDir: string;
  readonly batchFiles: readonly string[];
  /** Earlier batches' snapshots, replayed beside the train split (TakeBatchResult.replayFiles). */
  readonly replayBatchFiles?: readonly string[];
  /** The champion's training settings: fine-tuning continues its learning-rate schedule. */
  readonly championHyperparameters?: Readonly<Record<string, number | string>>;
  readonly epochs: number;
}

export interface EvaluateInput {
  readonly modelDir: string;
  /**
   * Also write the test confusion matrix and misclassified digits to a report file of run `key`, for the
   * MLflow run's plots: kept out of the workflow history, which only needs the scores.
   */
  readonly report?: { readonly key: string; readonly name: string };
}

export interface EvaluatedSplits extends SplitScores {
  readonly reportFile?: string;
}

export interface EvaluateOnBatchInput {
  readonly modelDir: string;
  readonly batchFiles: readonly string[];
}

export interface StoreVersionInput {
  readonly versionId: string;
  readonly stagedDir: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly hyperparameters: Readonly<Record<string, number | string>>;
  readonly parentVersionId: string | null;
  readonly batchIds: readonly string[];
  readonly manifestId: string | null;
  readonly retrainCycleId: string | null;
  /** The scores behind `metrics`, kept in the version's metadata so a later cycle need not evaluate it again. */
  readonly scores?: SplitScores;
}

export interface PublishInput {
  readonly count: number;
  readonly replay: boolean;
}

export interface PublishResult {
  readonly published: number;
  readonly skipped: number;
  readonly remaining: number;
}

export interface TakeBatchInput {
  readonly minRecords: number;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
}

export type TakeBatchResult =
  | { readonly status: 'too-few'; readonly available: number }
  | {
      readonly status: 'taken';
      /** One batch per partition read, including batches with no valid record (marked used all the same). */
      readonly batchIds: readonly string[];
      /** Snapshots of the batches that hold at least one valid sample: empty when valid is 0. */
      readonly files: readonly string[];
      readonly consumed: number;
      readonly valid: number;
      readonly deadLettered: number;
      /** Dead letters per poison reason (as the ledger holds them). */
      readonly deadLettersByReason?: Readonly<Record<string, number>>;
      /** True when the ledger already held this batch (an earlier attempt or run took it). */
      readonly resumed: boolean;
      /**
       * Snapshots of every batch trained on before this one (promoted or rejected cycles alike): replayed
       * beside the train split. Absent in histories recorded before the replay pool existed.
       */
      readonly replayFiles?: readonly string[];
    };

export interface BootstrapLogInput {
  /** Idempotency key: a retried activity finds the run it created before. */
  readonly key: string;
  /** The stored version: its folder is uploaded, registered and aliased `champion`. */
  readonly versionId: string;
  readonly hyperparameters: Readonly<Record<string, number | string>>;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly epochs: readonly EpochRecord[];
  readonly scores: SplitScores;
  /** Written by evaluateOnSplits. */
  readonly reportFile: string;
}

/** What logRetrainRun logs: the cycle's outcome (legacy inputs scheduled before it carried `key`). */
export type RetrainLogInput = CycleOutcome;

export interface RunLogResult {
  readonly runId: string;
  readonly registeredVersion?: string;
}

/** The ledger's record of a cycle (cycleRecord of its outcome). */
export type CycleRecord = ReturnType<typeof cycleRecord>;

/** Activities of the IO task queue: data, Kafka, MLflow, PostgreSQL and the model store. */
export interface IoActivities {
  readSettings(): Promise<PipelineSettings>;
  prepareData(): Promise<DataSummary>;
  getChampion(): Promise<ChampionSummary | null>;
  storeModelVersion(input: StoreVersionInput): Promise<{ versionId: string; path: string; created: boolean }>;
  promoteModel(input: { versionId: string }): Promise<{ previousVersionId: string | null; changed: boolean }>;
  publishStreamSamples(input: PublishInput): Promise<PublishResult>;
  consumerLag(): Promise<{ lag: number }>;
  /** Consume, validate, dead-letter, snapshot and record a batch, or resume the one the ledger holds. */
  takeBatch(input: TakeBatchInput): Promise<TakeBatchResult>;
  logBootstrapRun(input: BootstrapLogInput): Promise<RunLogResult>;
  logRetrainRun(input: RetrainLogInput): Promise<RunLogResult>;
  recordCycle(input: CycleRecord): Promise<void>;
  /** Moves the snapshot to used_for_training and marks the batch used by the cycle. */
  markBatchesUsed(input: { batchIds: readonly string[]; cycleId: string }): Promise<void>;
  /** Commits the consumer group's offsets up to what the ledger marks used; only after markBatchesUsed. */
  commitOffsets(): Promise<{ committed: Record<string, string> }>;
  /** Drops staging and checkpoint folders of a finished run. */
  cleanUpRun(input: { key: string }): Promise<void>;
}

/** Activities of the training task queue (one per TRAINING_DEVICE). */
export interface TrainingActivities {
  trainInitialModel(input: TrainInitialInput): Promise<StagedModel>;
  fineTuneChallenger(input: FineTuneInput): Promise<StagedModel>;
  evaluateOnSplits(input: EvaluateInput): Promise<EvaluatedSplits>;
  evaluateOnBatch(input: EvaluateOnBatchInput): Promise<Score>;
}

/** Heartbeat details of a training activity: what a retry resumes from. */
export interface TrainingHeartbeat {
  readonly progress: TrainingProgress;
  /** Epochs completed and checkpointed; the next attempt starts at this epoch. */
  readonly epochsCompleted: number;
  /** Folder of the checkpoint saved after the last completed epoch. */
  readonly checkpointDir?: string;
}
