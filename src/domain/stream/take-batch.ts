/**
 * The two halves of a training batch's life, for the retrain workflow's activities:
 * takeBatches (bounded read → triage → snapshot → dead letters → ledger) before training, and after it
 * markBatchesUsed (ledger "used" → move snapshot) then commitUsedOffsets. The ledger is the source of
 * truth; the log's committed offsets only ever catch up with it, so every step can be retried.
 */
import type { BatchLedger } from '../ledger/port';
import type { BatchEntry } from '../ledger/types';
import { batchId, findBatchSnapshot, markSnapshotUsed, writeBatchSnapshot } from './batch-snapshot';
import { countByReason, toDeadLetter } from './dead-letter';
import type { RawRecord } from './record';
import type { RecordPublisher, SampleLog } from './ports';
import { stageClock, type StageObserver } from './stage-clock';
import { candidateIds, decodeRecords, triageBatch } from './triage';

export interface StreamTopics {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
}

export interface TakeOptions extends StreamTopics {
  readonly dataDir: string;
  /** Fewer records waiting than this: nothing is read, snapshotted nor recorded (default 1). */
  readonly minRecords?: number;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
  readonly maxRecordBytes: number;
  /** Told the time of each stage (per partition for the per-batch stages). */
  readonly onStage?: StageObserver;
}

export interface TakenBatches {
  readonly batches: BatchEntry[];
  /** True when these are batches an earlier, unfinished cycle had already taken. */
  readonly reused: boolean;
  readonly consumed: number;
  readonly deadLettered: number;
  /** Records the group had waiting when the stream was read (0 for pending batches). */
  readonly waiting: number;
}

/**
 * Batches to train on next. Pending batches (snapshotted, not yet used) come back first, so a retried
 * cycle trains on the very same data; only when none are pending, and at least minRecords are waiting,
 * is the stream read. No batches back means too few records (`waiting` says how many).
 */
export async function takeBatches(
  log: SampleLog,
  ledger: BatchLedger,
  opts: TakeOptions,
): Promise<TakenBatches> {
  const time = stageClock(opts.onStage);
  const pending = await time('prepare', async () => {
    const found = await ledger.pendingBatches(opts.topic);
    // Used batches whose commit was lost: move the group past them before reading again.
    if (!found.length) await log.commit(await ledger.nextOffsets(opts.topic));
    return found;
  });
  if (pending.length) return { batches: pending, reused: true, consumed: 0, deadLettered: 0, waiting: 0 };
  // Counted before reading, so a too-small batch is never snapshotted nor recorded.
  const lag = await log.lag();
  const waiting = lag.total;
  if (waiting < Math.max(1, opts.minRecords ?? 1)) {
    return { batches: [], reused: false, consumed: 0, deadLettered: 0, waiting };
  }

  const records = await time('consume', () =>
    log.read({ maxRecords: opts.maxRecords, maxWaitMs: opts.maxWaitMs, lag }),
  );
  const byPartition = new Map<number, RawRecord[]>();
  for (const r of records) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r);
    byPartition.set(r.partition, list);
  }
  const limits = { maxRecordBytes: opts.maxRecordBytes };
  const batches: BatchEntry[] = [];
  let deadLettered = 0;
  // Opened only when there is poison to dead-letter: most batches have none.
  let producer: RecordPublisher | undefined;
  try {
    for (const [partition, list] of [...byPartition].sort(([a], [b]) => a - b)) {
      const id = batchId(opts.topic, partition, list[0]!.offset, list[list.length - 1]!.offset);
      const { valid, poison } = await time('validate', async () => {
        const decoded = decodeRecords(list, limits);
        const taken = await ledger.samplesTakenElsewhere(candidateIds(list, limits, decoded), id);
        return triageBatch(list, taken, limits, decoded);
      });
      const snap = await time('snapshot', () =>
        writeBatchSnapshot(
          opts.dataDir,
          id,
          valid.map((v) => v.sample),
        ),
      );
      if (poison.length) {
        await time('dead-letter', async () => {
          producer ??= await log.openPublisher();
          await producer.send(
            opts.deadLetterTopic,
            poison.map((p) => toDeadLetter(p, opts.topic)),
          );
        });
      }
      const entry: BatchEntry = {
        id,
        topic: opts.topic,
        partition,
        startOffset: list[0]!.offset,
        endOffset: list[list.length - 1]!.offset,
        filePath: snap.file,
        sha256: snap.sha256,
        consumedCount: list.length,
        validCount: valid.length,
        deadLetteredCount: poison.length,
        deadLettersByReason: countByReason(poison),
      };
      await time('ledger', () =>
        ledger.recordBatch(
          entry,
          valid.map((v) => v.sample.id),
        ),
      );
      batches.push(entry);
      deadLettered += poison.length;
    }
  } finally {
    await producer?.disconnect();
  }
  return { batches, reused: false, consumed: records.length, deadLettered, waiting };
}

/**
 * After training used the batches, ledger first, then files: once "used", no later cycle takes them again.
 * `snapshotsElsewhere`: hosts share no disk, so a batch another IO worker took has its file (now only a
 * cache) on that host; the ledger's record is what counts.
 */
export async function markBatchesUsed(
  ledger: BatchLedger,
  dataDir: string,
  batchIds: readonly string[],
  cycleId: string,
  { snapshotsElsewhere = false }: { snapshotsElsewhere?: boolean } = {},
): Promise<void> {
  await ledger.markBatchesUsed(batchIds, cycleId);
  for (const id of batchIds) {
    if (snapshotsElsewhere && !(await findBatchSnapshot(dataDir, id))) continue;
    await ledger.setBatchFile(id, await markSnapshotUsed(dataDir, id));
  }
}

/** Moves the group's offsets up to what the ledger says is used (idempotent, never backwards). */
export async function commitUsedOffsets(
  log: SampleLog,
  ledger: BatchLedger,
): Promise<Record<number, string>> {
  return log.commit(await ledger.nextOffsets(log.topic));
}
