/**
 * The PostgreSQL ledger. Every write is safe to repeat (Temporal retries activities): inserts use
 * ON CONFLICT, multi-row writes run in one transaction, and a repeat that would record something
 * different from the first write is refused instead of silently overwriting it.
 */
import type { Pool } from 'pg';
import type { Config } from '../../config';
import { LedgerError } from '../../domain/ledger/errors';
import type { BatchLedger } from '../../domain/ledger/port';
import type {
  BatchEntry,
  BatchRow,
  BatchStatus,
  DeadLetterCounts,
  ModelVersion,
  RecordedCycle,
  RetrainCycle,
  SampleTrail,
  ServiceAccuracy,
  WebFeedback,
} from '../../domain/ledger/types';
import { migrate } from './migrate';
import { createPool, withTransaction } from './pool';

const UNIQUE_VIOLATION = '23505';
const EXCLUSION_VIOLATION = '23P01';

interface BatchDbRow {
  id: string;
  topic: string;
  partition: number;
  start_offset: string;
  end_offset: string;
  file_path: string;
  sha256: string;
  consumed_count: number;
  valid_count: number;
  dead_lettered_count: number;
  dead_letter_reasons: Record<string, number>;
  status: 'snapshotted' | 'used';
  retrain_cycle_id: string | null;
  created_at: Date;
  used_at: Date | null;
}

type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
type CamelRow<R> = { [K in keyof R as CamelCase<K & string>]: R[K] };

/** A row with its snake_case column names in camelCase, as the domain types spell them. */
function camelRow<R extends object>(row: R): CamelRow<R> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  ) as CamelRow<R>;
}

function toBatch({ dead_letter_reasons, ...r }: BatchDbRow): BatchRow {
  return { ...camelRow(r), deadLettersByReason: dead_letter_reasons };
}

/** Refuses per-reason counts that are not whole numbers summing to the batch's dead-letter count. */
function checkReasons(entry: BatchEntry): Record<string, number> {
  const reasons = entry.deadLettersByReason ?? {};
  const counts = Object.values(reasons);
  const sum = counts.reduce((n, c) => n + c, 0);
  if (!counts.every((c) => Number.isInteger(c) && c > 0) || sum !== entry.deadLetteredCount) {
    throw new LedgerError(
      'conflict',
      `batch ${entry.id} says ${entry.deadLetteredCount} dead letters but its reasons count ${JSON.stringify(reasons)}`,
      'Count each dead-lettered record under exactly one reason',
    );
  }
  return reasons;
}

interface CycleDbRow {
  id: string;
  decision: RetrainCycle['decision'];
  reason: string;
  champion_before: string | null;
  champion_after: string | null;
  metrics: Record<string, unknown>;
  recorded_at: Date;
}

function toRetrainCycle({ recorded_at: _, ...r }: CycleDbRow): RetrainCycle {
  return camelRow(r);
}

function toCycle(r: CycleDbRow): RecordedCycle {
  return { ...toRetrainCycle(r), recordedAt: r.recorded_at };
}

function pgCode(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/** The batch ledger in PostgreSQL (schema in migrate.ts). */
export class Ledger implements BatchLedger {
  constructor(readonly pool: Pool) {}

  /** A ledger on its own pool, with the schema migrated. */
  static async open(cfg: Config['postgres']): Promise<Ledger> {
    const pool = createPool(cfg);
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end();
      throw e;
    }
    return new Ledger(pool);
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  // --- published samples -------------------------------------------------------------------------

  async publishedAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.pool.query<{ sample_id: string }>(
      'SELECT sample_id FROM published_samples WHERE sample_id = ANY($1::text[])',
      [ids],
    );
    return new Set(rows.map((r) => r.sample_id));
  }

  async recordPublished(ids: readonly string[], topic: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `INSERT INTO published_samples (sample_id, topic) SELECT unnest($1::text[]), $2
       ON CONFLICT (sample_id) DO UPDATE
         SET publish_count = published_samples.publish_count + 1, last_published_at = now()`,
      [ids, topic],
    );
  }

  // --- batches -----------------------------------------------------------------------------------

  /** For each id already in a batch other than `exceptBatch`: that batch's id. */
  async samplesTakenElsewhere(ids: readonly string[], exceptBatch?: string): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ sample_id: string; batch_id: string }>(
      'SELECT sample_id, batch_id FROM batch_samples WHERE sample_id = ANY($1::text[]) AND batch_id IS DISTINCT FROM $2',
      [ids, exceptBatch ?? null],
    );
    return new Map(rows.map((r) => [r.sample_id, r.batch_id]));
  }

  /**
   * Records a snapshotted batch and its sample ids in one transaction. Recording the same batch again
   * is a no-op ('already-recorded'); the same id with other content, a sample already in another
   * batch, or offsets overlapping another batch are refused.
   */
  async recordBatch(
    entry: BatchEntry,
    sampleIds: readonly string[],
  ): Promise<'recorded' | 'already-recorded'> {
    if (sampleIds.length !== entry.validCount) {
      throw new LedgerError(
        'conflict',
        `batch ${entry.id} says ${entry.validCount} valid samples but ${sampleIds.length} ids were given`,
        'Pass the ids of exactly the samples in the snapshot',
      );
    }
    // Callers that pass no reasons (older code) record none; otherwise they must add up.
    const reasons = entry.deadLettersByReason === undefined ? {} : checkReasons(entry);
    return withTransaction(this.pool, async (client) => {
      const inserted = await client
        .query(
          `INSERT INTO batches (id, topic, partition, start_offset, end_offset, file_path, sha256,
                              consumed_count, valid_count, dead_lettered_count, dead_letter_reasons)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
          [
            entry.id,
            entry.topic,
            entry.partition,
            entry.startOffset,
            entry.endOffset,
            entry.filePath,
            entry.sha256,
            entry.consumedCount,
            entry.validCount,
            entry.deadLetteredCount,
            JSON.stringify(reasons),
          ],
        )
        .catch((e: unknown) => {
          if (pgCode(e) === EXCLUSION_VIOLATION) {
            throw new LedgerError(
              'conflict',
              `batch ${entry.id} overlaps the offsets of a batch already recorded for ${entry.topic}/${entry.partition}`,
              'Take batches from the committed offsets and reuse pending batches instead of consuming again',
            );
          }
          throw e;
        });
      if (inserted.rowCount === 0) {
        const { rows } = await client.query<BatchDbRow>('SELECT * FROM batches WHERE id = $1', [entry.id]);
        const old = rows[0]!;
        if (
          old.sha256 !== entry.sha256 ||
          old.valid_count !== entry.validCount ||
          old.consumed_count !== entry.consumedCount
        ) {
          throw new LedgerError(
            'conflict',
            `batch ${entry.id} is already recorded with sha256 ${old.sha256} (${old.valid_count} valid), now ${entry.sha256} (${entry.validCount} valid)`,
            'A batch id names fixed offsets, so its content cannot change: investigate before deleting the ledger row',
          );
        }
        return 'already-recorded';
      }
      try {
        await client.query('INSERT INTO batch_samples (batch_id, sample_id) SELECT $1, unnest($2::text[])', [
          entry.id,
          sampleIds,
        ]);
      } catch (e) {
        if (pgCode(e) === UNIQUE_VIOLATION) {
          throw new LedgerError(
            'conflict',
            `batch ${entry.id} holds a sample that is already in another batch (${(e as { detail?: string }).detail ?? ''})`,
            'Check samples against Ledger.samplesTakenElsewhere before snapshotting; duplicates belong in the dead-letter topic',
          );
        }
        throw e;
      }
      return 'recorded';
    });
  }

  async getBatch(id: string): Promise<BatchRow | undefined> {
    const { rows } = await this.pool.query<BatchDbRow>('SELECT * FROM batches WHERE id = $1', [id]);
    return rows[0] && toBatch(rows[0]);
  }

  /**
   * Dead letters per poison reason, summed over the batches of a topic and/or of one retrain cycle
   * (the batches it used); no filter counts every batch. For `status` and cycle reports.
   */
  async deadLetterCounts(filter: { topic?: string; cycleId?: string } = {}): Promise<DeadLetterCounts> {
    const where = 'WHERE ($1::text IS NULL OR topic = $1) AND ($2::text IS NULL OR retrain_cycle_id = $2)';
    const params = [filter.topic ?? null, filter.cycleId ?? null];
    const [reasons, total] = await Promise.all([
      this.pool.query<{ reason: string; n: string }>(
        `SELECT r.key AS reason, sum(r.value::bigint)::text AS n
         FROM batches, jsonb_each_text(dead_letter_reasons) r ${where} GROUP BY r.key ORDER BY r.key`,
        params,
      ),
      this.pool.query<{ n: string }>(
        `SELECT coalesce(sum(dead_lettered_count), 0)::text AS n FROM batches ${where}`,
        params,
      ),
    ]);
    const byReason = Object.fromEntries(reasons.rows.map((r) => [r.reason, Number(r.n)]));
    return { total: Number(total.rows[0]?.n ?? 0), byReason };
  }

  /** Batches snapshotted but not yet used by a retrain, oldest offsets first. */
  async pendingBatches(topic: string): Promise<BatchRow[]> {
    const { rows } = await this.pool.query<BatchDbRow>(
      `SELECT * FROM batches WHERE topic = $1 AND status = 'snapshotted' ORDER BY partition, start_offset`,
      [topic],
    );
    return rows.map(toBatch);
  }

  /**
   * Batches already trained on (valid samples only), oldest offsets first: with the train split they form
   * the replay pool, so a batch whose challenger was rejected still reaches later champions.
   */
  async usedBatches(topic: string): Promise<BatchRow[]> {
    const { rows } = await this.pool.query<BatchDbRow>(
      `SELECT * FROM batches WHERE topic = $1 AND status = 'used' AND valid_count > 0
       ORDER BY partition, start_offset`,
      [topic],
    );
    return rows.map(toBatch);
  }

  async batchSampleIds(batchId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ sample_id: string }>(
      'SELECT sample_id FROM batch_samples WHERE batch_id = $1 ORDER BY sample_id',
      [batchId],
    );
    return rows.map((r) => r.sample_id);
  }

  /** partition → offset after the last batch used for training: where the group must resume. */
  async nextOffsets(topic: string): Promise<Record<number, string>> {
    const { rows } = await this.pool.query<{ partition: number; next: string }>(
      `SELECT partition, (max(end_offset) + 1)::text AS next FROM batches
       WHERE topic = $1 AND status = 'used' GROUP BY partition`,
      [topic],
    );
    return Object.fromEntries(rows.map((r) => [r.partition, r.next]));
  }

  /** Where the snapshot now lives (it moves to used_for_training after training). */
  async setBatchFile(batchId: string, filePath: string): Promise<void> {
    const r = await this.pool.query('UPDATE batches SET file_path = $2 WHERE id = $1', [batchId, filePath]);
    if (r.rowCount === 0) {
      throw new LedgerError(
        'not-found',
        `batch ${batchId} is not in the ledger`,
        'Record the batch before moving its file',
      );
    }
  }

  /** Marks batches as used by a retrain cycle; repeating it for the same cycle is a no-op. */
  async markBatchesUsed(batchIds: readonly string[], retrainCycleId: string): Promise<void> {
    await withTransaction(this.pool, async (client) => {
      await client.query(
        `UPDATE batches SET status = 'used', used_at = now(), retrain_cycle_id = $2
         WHERE id = ANY($1::text[]) AND status = 'snapshotted'`,
        [batchIds, retrainCycleId],
      );
      const { rows } = await client.query<{ id: string; retrain_cycle_id: string | null }>(
        'SELECT id, retrain_cycle_id FROM batches WHERE id = ANY($1::text[])',
        [batchIds],
      );
      const found = new Map(rows.map((r) => [r.id, r.retrain_cycle_id]));
      const missing = batchIds.filter((id) => !found.has(id));
      if (missing.length) {
        throw new LedgerError(
          'not-found',
          `batches ${missing.join(', ')} are not in the ledger`,
          'Record each batch before using it',
        );
      }
      const other = rows.filter((r) => r.retrain_cycle_id !== retrainCycleId);
      if (other.length) {
        throw new LedgerError(
          'conflict',
          `batch ${other[0]!.id} was already used by retrain cycle ${other[0]!.retrain_cycle_id}`,
          'A batch trains one cycle only; take a new batch',
        );
      }
    });
  }

  // --- retrain cycles and lineage ----------------------------------------------------------------

  async recordRetrainCycle(c: RetrainCycle): Promise<'recorded' | 'already-recorded'> {
    const r = await this.pool.query(
      `INSERT INTO retrain_cycles (id, decision, reason, champion_before, champion_after, metrics)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [c.id, c.decision, c.reason, c.championBefore, c.championAfter, JSON.stringify(c.metrics)],
    );
    if (r.rowCount === 1) return 'recorded';
    const old = await this.getRetrainCycle(c.id);
    if (old?.decision !== c.decision || old.championAfter !== c.championAfter) {
      throw new LedgerError(
        'conflict',
        `retrain cycle ${c.id} is already recorded as ${old?.decision} (champion ${old?.championAfter}), now ${c.decision} (champion ${c.championAfter})`,
        'A cycle decides once; start a new workflow for a new decision',
      );
    }
    return 'already-recorded';
  }

  async recentCycles(limit: number): Promise<RecordedCycle[]> {
    try {
      const { rows } = await this.pool.query<CycleDbRow>(
        'SELECT * FROM retrain_cycles ORDER BY recorded_at DESC LIMIT $1',
        [limit],
      );
      return rows.map(toCycle);
    } catch (e) {
      if (pgCode(e) === '42P01') return []; // undefined_table: a ledger never opened
      throw e;
    }
  }

  async getRetrainCycle(id: string): Promise<RetrainCycle | undefined> {
    const { rows } = await this.pool.query<CycleDbRow>('SELECT * FROM retrain_cycles WHERE id = $1', [id]);
    const r = rows[0];
    return r && toRetrainCycle(r);
  }

  async recordModelVersion(v: ModelVersion): Promise<'recorded' | 'already-recorded'> {
    const r = await this.pool
      .query(
        `INSERT INTO model_lineage (version_id, parent_version_id, retrain_cycle_id, batch_ids, split_manifest_sha256)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version_id) DO NOTHING`,
        [v.versionId, v.parentVersionId, v.retrainCycleId, v.batchIds, v.splitManifestSha256],
      )
      .catch((e: unknown) => {
        if (pgCode(e) === '23503') {
          throw new LedgerError(
            'not-found',
            `model version ${v.versionId} names parent ${v.parentVersionId}, which is not in the lineage`,
            'Record the parent version first',
          );
        }
        throw e;
      });
    if (r.rowCount === 1) return 'recorded';
    const old = await this.getModelVersion(v.versionId);
    if (
      old?.parentVersionId !== v.parentVersionId ||
      old.splitManifestSha256 !== v.splitManifestSha256 ||
      old.batchIds.join(',') !== v.batchIds.join(',')
    ) {
      throw new LedgerError(
        'conflict',
        `model version ${v.versionId} is already recorded with another parent, manifest or batches`,
        'Version ids are unique; register the new model under a new version',
      );
    }
    return 'already-recorded';
  }

  async getModelVersion(versionId: string): Promise<ModelVersion | undefined> {
    return (await this.lineage(versionId))[0];
  }

  /** The version and its ancestors, newest first. */
  async lineage(versionId: string): Promise<ModelVersion[]> {
    const { rows } = await this.pool.query<{
      version_id: string;
      parent_version_id: string | null;
      retrain_cycle_id: string | null;
      batch_ids: string[];
      split_manifest_sha256: string;
    }>(
      `WITH RECURSIVE chain AS (
         SELECT m.*, 0 AS depth FROM model_lineage m WHERE version_id = $1
         UNION ALL
         SELECT p.*, c.depth + 1 FROM model_lineage p JOIN chain c ON p.version_id = c.parent_version_id
       ) SELECT * FROM chain ORDER BY depth`,
      [versionId],
    );
    return rows.map((r) => ({
      versionId: r.version_id,
      parentVersionId: r.parent_version_id,
      retrainCycleId: r.retrain_cycle_id,
      batchIds: r.batch_ids,
      splitManifestSha256: r.split_manifest_sha256,
    }));
  }

  // --- web feedback ------------------------------------------------------------------------------

  /** Records a web submission once; the same sample id with other content is refused. */
  async recordWebFeedback(f: WebFeedback): Promise<'recorded' | 'already-recorded'> {
    const r = await this.pool.query(
      `INSERT INTO web_feedback (sample_id, label, predicted, model_version, topic, partition, "offset")
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sample_id) DO NOTHING`,
      [f.sampleId, f.label, f.predicted, f.modelVersion, f.topic, f.partition, f.offset],
    );
    if (r.rowCount === 1) return 'recorded';
    const old = (await this.sampleTrail(f.sampleId))?.feedback;
    if (old?.label !== f.label || old.topic !== f.topic || old.offset !== f.offset) {
      throw new LedgerError(
        'conflict',
        `web sample ${f.sampleId} is already recorded with label ${old?.label} at ${old?.topic}@${old?.offset}`,
        'Sample ids are unique: give a new submission a new id',
      );
    }
    return 'already-recorded';
  }

  /** A web sample, the batch that took it (if any yet) and the cycle that used the batch (if any yet). */
  async sampleTrail(sampleId: string): Promise<SampleTrail | undefined> {
    const { rows } = await this.pool.query<{
      sample_id: string;
      label: number;
      predicted: number | null;
      model_version: string | null;
      topic: string;
      partition: number;
      offset: string;
      submitted_at: Date;
      batch_id: string | null;
      batch_status: BatchStatus | null;
      cycle: CycleDbRow | null;
    }>(
      `SELECT f.sample_id, f.label, f.predicted, f.model_version, f.topic, f.partition, f."offset"::text AS "offset",
              f.submitted_at, b.id AS batch_id, b.status AS batch_status, to_jsonb(c) AS cycle
         FROM web_feedback f
         LEFT JOIN batch_samples s ON s.sample_id = f.sample_id
         LEFT JOIN batches b ON b.id = s.batch_id
         LEFT JOIN retrain_cycles c ON c.id = b.retrain_cycle_id
        WHERE f.sample_id = $1`,
      [sampleId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      feedback: {
        sampleId: r.sample_id,
        label: r.label,
        predicted: r.predicted,
        modelVersion: r.model_version,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        submittedAt: r.submitted_at,
      },
      batch: r.batch_id && r.batch_status ? { id: r.batch_id, status: r.batch_status } : null,
      // to_jsonb turns the timestamp into an ISO string.
      cycle: r.cycle && toCycle({ ...r.cycle, recorded_at: new Date(r.cycle.recorded_at) }),
    };
  }

  /** Per model version that answered web submissions: labelled samples and correct predictions, oldest first. */
  async serviceAccuracy(): Promise<ServiceAccuracy[]> {
    const { rows } = await this.pool.query<{
      model_version: string;
      labelled: number;
      correct: number;
      first_at: Date;
      last_at: Date;
    }>(
      `SELECT model_version, count(*)::int AS labelled, count(*) FILTER (WHERE predicted = label)::int AS correct,
              min(submitted_at) AS first_at, max(submitted_at) AS last_at
         FROM web_feedback WHERE model_version IS NOT NULL
        GROUP BY model_version ORDER BY min(submitted_at)`,
    );
    return rows.map((r) => ({
      modelVersion: r.model_version,
      labelled: r.labelled,
      correct: r.correct,
      firstAt: r.first_at,
      lastAt: r.last_at,
    }));
  }
}
