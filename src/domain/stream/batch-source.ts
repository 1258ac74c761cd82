/**
 * A batch on a host that may not have its snapshot file (workers on separate hosts): the ledger says
 * what the batch is (partition, offset range, valid sample ids, sha256), Kafka still holds its records
 * (the samples topic keeps them without a time limit), and the snapshot is rebuilt from them. A local
 * file, found or rebuilt, is used only when its sha256 is the ledger's; a mismatch is rebuilt, and a
 * rebuild that still differs is refused, never trained on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../../durable-file';
import type { BatchLedger } from '../ledger/port';
import type { BatchRow } from '../ledger/types';
import {
  SNAPSHOT_EXT,
  decodeSnapshot,
  encodeSnapshot,
  findBatchSnapshot,
  type LoadedSnapshot,
} from './batch-snapshot';
import { StreamError } from './errors';
import type { SampleLog } from './ports';
import { decodeRecord, type DecodedSample, type RawRecord } from './record';

/** Where a host keeps batches it rebuilt (beside to_use/used_for_training, which only the taker writes). */
export const REBUILT_DIR = 'rebuilt_batches';

export interface BatchSourceDeps {
  readonly ledger: Pick<BatchLedger, 'getBatch' | 'batchSampleIds'>;
  readonly log: Pick<SampleLog, 'readRanges'>;
  readonly dataDir: string;
  readonly maxRecordBytes: number;
}

async function readVerified(file: string, sha256: string): Promise<LoadedSnapshot | undefined> {
  const bytes = await fs.readFile(file).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    const snap = decodeSnapshot(bytes, file);
    return snap.sha256 === sha256 ? snap : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The batches' samples, in the order asked: each from this host's verified copy, or rebuilt from Kafka
 * (all missing ones in one read where their partitions allow).
 */
export async function loadBatches(
  deps: BatchSourceDeps,
  batchIds: readonly string[],
): Promise<LoadedSnapshot[]> {
  const rows = await Promise.all(
    batchIds.map(async (batchId) => {
      const row = await deps.ledger.getBatch(batchId);
      if (!row) {
        throw new StreamError(
          'snapshot-missing',
          `batch ${batchId} is not in the ledger`,
          'Pass batch ids (snapshot file names) that takeBatch returned',
        );
      }
      return row;
    }),
  );
  const rebuiltFile = (batchId: string) => path.join(deps.dataDir, REBUILT_DIR, `${batchId}.${SNAPSHOT_EXT}`);
  const found = await Promise.all(
    batchIds.map(async (batchId, k) => {
      for (const file of [await findBatchSnapshot(deps.dataDir, batchId), rebuiltFile(batchId)]) {
        const snap = file && (await readVerified(file, rows[k]!.sha256));
        if (snap) return snap;
      }
      return undefined;
    }),
  );
  const missing = batchIds.map((_, k) => k).filter((k) => !found[k]);
  if (missing.length === 0) return found as LoadedSnapshot[];
  const [ranges, idLists] = await Promise.all([
    deps.log.readRanges(missing.map((k) => rows[k]!)),
    Promise.all(missing.map((k) => deps.ledger.batchSampleIds(batchIds[k]!))),
  ]);
  await Promise.all(
    missing.map(async (k, m) => {
      found[k] = await rebuild(deps, rows[k]!, ranges[m]!, idLists[m]!, rebuiltFile(batchIds[k]!));
    }),
  );
  return found as LoadedSnapshot[];
}

/** The snapshot the taker wrote, from its records: checked against the ledger, then cached. */
async function rebuild(
  deps: BatchSourceDeps,
  row: BatchRow,
  records: readonly RawRecord[],
  ids: readonly string[],
  file: string,
): Promise<LoadedSnapshot> {
  // The taker kept the first valid record of each id, in offset order; the ledger says which ids.
  const wanted = new Set(ids);
  const samples: DecodedSample[] = [];
  for (const r of records) {
    const d = decodeRecord(r, { maxRecordBytes: deps.maxRecordBytes });
    if (d.ok && wanted.delete(d.sample.id)) samples.push(d.sample);
  }
  const bytes = encodeSnapshot(samples);
  const snap = decodeSnapshot(bytes, file);
  if (snap.sha256 !== row.sha256) {
    throw new StreamError(
      'snapshot-corrupt',
      `batch ${row.id} rebuilt from ${row.topic} partition ${row.partition} offsets ${row.startOffset}..` +
        `${row.endOffset} has sha256 ${snap.sha256} (${samples.length} samples), the ledger says ${row.sha256}`,
      'The records at those offsets are not the ones taken: check the topic was not recreated, and use a host that has the snapshot',
    );
  }
  await writeFileDurable(file, bytes);
  return snap;
}
