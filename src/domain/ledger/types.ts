/** Rows of the ledger as the rest of the pipeline sees them (offsets as decimal strings: int64). */
import type { RetrainDecision } from '../../shared';

export type BatchStatus = 'snapshotted' | 'used';

export interface BatchEntry {
  /** `<topic>-<partition>-<startOffset>-<endOffset>` */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: string;
  /** Inclusive. */
  readonly endOffset: string;
  readonly filePath: string;
  readonly sha256: string;
  readonly consumedCount: number;
  readonly validCount: number;
  readonly deadLetteredCount: number;
  /** Dead letters per poison reason; they sum to deadLetteredCount (empty for rows older than the column). */
  readonly deadLettersByReason?: Readonly<Record<string, number>>;
}

export interface BatchRow extends BatchEntry {
  readonly status: BatchStatus;
  readonly retrainCycleId: string | null;
  readonly createdAt: Date;
  readonly usedAt: Date | null;
}

/** Dead letters per poison reason over some batches, with their total. */
export interface DeadLetterCounts {
  readonly total: number;
  readonly byReason: Readonly<Record<string, number>>;
}

export interface RetrainCycle {
  /** The workflow id. */
  readonly id: string;
  readonly decision: RetrainDecision;
  readonly reason: string;
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  readonly metrics: Record<string, unknown>;
}

export interface ModelVersion {
  readonly versionId: string;
  readonly parentVersionId: string | null;
  readonly retrainCycleId: string | null;
  readonly batchIds: readonly string[];
  readonly splitManifestSha256: string;
}

/** A retrain cycle as the ledger recorded it. */
export interface RecordedCycle extends RetrainCycle {
  readonly recordedAt: Date;
}

/** A sample a person labelled in the web app, where it was published, and what the champion in service said. */
export interface WebFeedback {
  readonly sampleId: string;
  readonly label: number;
  /** The digit the champion in service predicted for the same pixels; null when none was in service. */
  readonly predicted: number | null;
  readonly modelVersion: string | null;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface WebFeedbackRow extends WebFeedback {
  readonly submittedAt: Date;
}

/** Where a web sample went: the batch that took it, and the cycle that trained on that batch. */
export interface SampleTrail {
  readonly feedback: WebFeedbackRow;
  readonly batch: { readonly id: string; readonly status: BatchStatus } | null;
  readonly cycle: RecordedCycle | null;
}

/** Labelled feedback on one model version: how often its served prediction matched the label. */
export interface ServiceAccuracy {
  readonly modelVersion: string;
  readonly labelled: number;
  readonly correct: number;
  readonly firstAt: Date;
  readonly lastAt: Date;
}
