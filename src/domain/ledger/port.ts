/**
 * The batch ledger port: what the pipeline records in its source of truth (published samples, batches
 * and their samples, retrain cycles, model lineage). adapters/pg/ledger.ts implements it in PostgreSQL.
 */
import type {
  BatchEntry,
  BatchRow,
  DeadLetterCounts,
  ModelVersion,
  RecordedCycle,
  RetrainCycle,
} from './types';

export interface BatchLedger {
  publishedAmong(ids: readonly string[]): Promise<Set<string>>;
  recordPublished(ids: readonly string[], topic: string): Promise<void>;
  /** For each id already in a batch other than `exceptBatch`: that batch's id. */
  samplesTakenElsewhere(ids: readonly string[], exceptBatch?: string): Promise<Map<string, string>>;
  /**
   * Records a snapshotted batch and its sample ids in one transaction. Recording the same batch again
   * is a no-op ('already-recorded'); the same id with other content, a sample already in another
   * batch, or offsets overlapping another batch are refused.
   */
  recordBatch(entry: BatchEntry, sampleIds: readonly string[]): Promise<'recorded' | 'already-recorded'>;
  getBatch(id: string): Promise<BatchRow | undefined>;
  /**
   * Dead letters per poison reason, summed over the batches of a topic and/or of one retrain cycle
   * (the batches it used); no filter counts every batch. For `status` and cycle reports.
   */
  deadLetterCounts(filter?: { topic?: string; cycleId?: string }): Promise<DeadLetterCounts>;
  /** Batches snapshotted but not yet used by a retrain, oldest offsets first. */
  pendingBatches(topic: string): Promise<BatchRow[]>;
  /**
   * Batches already trained on (valid samples only), oldest offsets first: with the train split they form
   * the replay pool, so a batch whose challenger was rejected still reaches later champions.
   */
  usedBatches(topic: string): Promise<BatchRow[]>;
  batchSampleIds(batchId: string): Promise<string[]>;
  /** partition → offset after the last batch used for training: where the group must resume. */
  nextOffsets(topic: string): Promise<Record<number, string>>;
  /** Where the snapshot now lives (it moves to used_for_training after training). */
  setBatchFile(batchId: string, filePath: string): Promise<void>;
  /** Marks batches as used by a retrain cycle; repeating it for the same cycle is a no-op. */
  markBatchesUsed(batchIds: readonly string[], retrainCycleId: string): Promise<void>;
  recordRetrainCycle(c: RetrainCycle): Promise<'recorded' | 'already-recorded'>;
  getRetrainCycle(id: string): Promise<RetrainCycle | undefined>;
  /** The latest `limit` cycles, newest first; none when the ledger was never migrated. */
  recentCycles(limit: number): Promise<RecordedCycle[]>;
  recordModelVersion(v: ModelVersion): Promise<'recorded' | 'already-recorded'>;
  getModelVersion(versionId: string): Promise<ModelVersion | undefined>;
  /** The version and its ancestors, newest first. */
  lineage(versionId: string): Promise<ModelVersion[]>;
}
