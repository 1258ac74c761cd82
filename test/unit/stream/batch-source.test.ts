import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchRow } from '../../../src/domain/ledger/types';
import { REBUILT_DIR, loadBatches } from '../../../src/domain/stream/batch-source';
import { writeBatchSnapshot } from '../../../src/domain/stream/batch-snapshot';
import type { RawRecord } from '../../../src/domain/stream/record';
import { sampleRecord } from '../../support/records';
import { triageBatch } from '../../../src/domain/stream/triage';

const limits = { maxRecordBytes: 4096 };
const rec = (id: string, offset: number, label = 1, partition = 1): RawRecord =>
  sampleRecord(id, offset, label, partition);

/** A batch taken on host A: valid records snapshotted there and recorded in the ledger. */
async function takenOnA(records: RawRecord[], takenElsewhere = new Map<string, string>()) {
  const a = mkdtempSync(path.join(os.tmpdir(), 'host-a-'));
  const partition = records[0]!.partition;
  const id = `t-${partition}-0-${records.length - 1}`;
  const { valid } = triageBatch(records, takenElsewhere, limits);
  const snap = await writeBatchSnapshot(
    a,
    id,
    valid.map((v) => v.sample),
  );
  const row = {
    id,
    topic: 't',
    partition,
    startOffset: '0',
    endOffset: String(records.length - 1),
    filePath: snap.file,
    sha256: snap.sha256,
  } as BatchRow;
  return { id, row, ids: valid.map((v) => v.sample.id) };
}

type Taken = Awaited<ReturnType<typeof takenOnA>>;

function hostB(batches: Taken | Taken[], records: RawRecord[]) {
  const known = new Map([batches].flat().map((b) => [b.id, b]));
  /** One entry per read of the log: its ranges. */
  const reads: string[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'host-b-'));
  return {
    dataDir,
    reads,
    deps: {
      dataDir,
      maxRecordBytes: limits.maxRecordBytes,
      ledger: {
        getBatch: async (id: string) => known.get(id)?.row,
        batchSampleIds: async (id: string) => [...known.get(id)!.ids].reverse(),
      },
      log: {
        readRanges: async (
          ranges: readonly { partition: number; startOffset: string; endOffset: string }[],
        ) => {
          reads.push(ranges.map((r) => `${r.partition}:${r.startOffset}..${r.endOffset}`).join(' '));
          return ranges.map((r) =>
            records.filter(
              (x) =>
                x.partition === r.partition &&
                BigInt(x.offset) >= BigInt(r.startOffset) &&
                BigInt(x.offset) <= BigInt(r.endOffset),
            ),
          );
        },
      },
    },
  };
}

const loadBatch = async (deps: ReturnType<typeof hostB>['deps'], id: string) =>
  (await loadBatches(deps, [id]))[0]!;

describe('loadBatch on a host without the snapshot', () => {
  // Poison in the range: a bad value, a duplicate in the batch, an id the ledger holds elsewhere.
  const records = [
    rec('a', 0),
    { ...rec('bad', 1), value: Buffer.alloc(3) },
    rec('b', 2, 4),
    rec('a', 3, 7),
    rec('old', 4),
    rec('c', 5, 9),
  ];

  it('rebuilds it from the offset range and the ledger ids, byte for byte', async () => {
    const batch = await takenOnA(records, new Map([['old', 'earlier-batch']]));
    const b = hostB(batch, records);
    const snap = await loadBatch(b.deps, batch.id);
    expect(snap.sha256).toBe(batch.row.sha256);
    expect(snap.ids).toEqual(['a', 'b', 'c']);
    expect([...snap.set.labels]).toEqual([1, 4, 9]);
    expect(b.reads).toEqual(['1:0..5']);
    // Cached: the second load reads nothing from the log.
    await loadBatch(b.deps, batch.id);
    expect(b.reads).toHaveLength(1);
  });

  it('rebuilds a cached copy whose sha256 is not the ledger one', async () => {
    const batch = await takenOnA(records, new Map([['old', 'earlier-batch']]));
    const b = hostB(batch, records);
    await loadBatch(b.deps, batch.id);
    const cached = path.join(b.dataDir, REBUILT_DIR, `${batch.id}.msb`);
    const bytes = await fs.readFile(cached);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 800) ^ 0xff, bytes.length - 800);
    await fs.writeFile(cached, bytes);
    expect((await loadBatch(b.deps, batch.id)).sha256).toBe(batch.row.sha256);
    expect(b.reads).toHaveLength(2);
  });

  it('refuses records that do not rebuild the recorded batch, and caches nothing', async () => {
    const batch = await takenOnA(records, new Map([['old', 'earlier-batch']]));
    const changed = records.map((r) => (r.offset === '5' ? rec('c', 5, 2) : r));
    const b = hostB(batch, changed);
    await expect(loadBatch(b.deps, batch.id)).rejects.toThrow(
      /rebuilt from t partition 1 offsets 0\.\.5 has sha256 .* the ledger says/,
    );
    await expect(fs.readdir(path.join(b.dataDir, REBUILT_DIR))).rejects.toThrow();
  });

  it('reads every missing batch in one go, in the order asked, and leaves a cached one alone', async () => {
    const p1 = await takenOnA(records, new Map([['old', 'earlier-batch']]));
    const p2records = [rec('x', 0, 3, 2), rec('y', 1, 5, 2)];
    const p3records = [rec('z', 0, 6, 3)];
    const [p2, p3] = [await takenOnA(p2records), await takenOnA(p3records)];
    const b = hostB([p1, p2, p3], [...records, ...p2records, ...p3records]);
    await loadBatch(b.deps, p2.id);
    const loaded = await loadBatches(b.deps, [p3.id, p2.id, p1.id]);
    expect(loaded.map((snap) => snap.sha256)).toEqual([p3.row.sha256, p2.row.sha256, p1.row.sha256]);
    expect(loaded.map((snap) => snap.ids)).toEqual([['z'], ['x', 'y'], ['a', 'b', 'c']]);
    expect(b.reads).toEqual(['2:0..1', '3:0..0 1:0..5']);
  });

  it('names a batch the ledger does not know', async () => {
    const batch = await takenOnA(records);
    await expect(loadBatch(hostB(batch, records).deps, 'nope')).rejects.toThrow(
      /batch nope is not in the ledger/,
    );
  });
});
