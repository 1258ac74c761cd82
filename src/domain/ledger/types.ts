/** Rows of the ledger as the rest of the pipeline sees them (offsets as decimal strings: int64). */

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

export type RetrainDecision = 'promoted' | 'rejected' | 'skipped';

export interface RetrainCycle {
  /** The workflow id. */
  readonly id: string;
  readonly decision: RetrainDecision;
  readonly reason: string;
  readonly championBefore: string | null;
  readonly championAfter: string | null;
  readonly metrics: Record<string, unknown>;
}

/** A recorded cycle as listings show it (its metrics left out). */
export interface RecordedCycle extends Omit<RetrainCycle, 'metrics'> {
  readonly recordedAt: Date;
}

export interface ModelVersion {
  readonly versionId: string;
  readonly parentVersionId: string | null;
  readonly retrainCycleId: string | null;
  readonly batchIds: readonly string[];
  readonly splitManifestSha256: string;
}
