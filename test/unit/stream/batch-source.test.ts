import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchRow } from '../../../src/domain/ledger/types';
import { REBUILT_DIR, loadBatch } from '../../../src/domain/stream/batch-source';
import { writeBatchSnapshot } from '../../../src/domain/stream/batch-snapshot';
import type { RawRecord } from '../../../src/domain/stream/record';
import { sampleRecord } from '../../support/records';
import { triageBatch } from '../../../src/domain/stream/triage';

const limits = { maxRecordBytes: 4096 };
const rec = (id: string, offset: number, label = 1): RawRecord => sampleRecord(id, offset, label, 1);

/** A batch taken on host A: valid records snapshotted there and recorded in the ledger. */
async function takenOnA(records: RawRecord[], takenElsewhere = new Map<string, string>()) {
  const a = mkdtempSync(path.join(os.tmpdir(), 'host-a-'));
  const id = 't-1-0-' + (records.length - 1);
  const { valid } = triageBatch(records, takenElsewhere, limits);
  const snap = await writeBatchSnapshot(
    a,
    id,
    valid.map((v) => v.sample),
  );
  const row = {
    id,
    topic: 't',
    partition: 1,
    startOffset: '0',
    endOffset: String(records.length - 1),
    filePath: snap.file,
    sha256: snap.sha256,
  } as BatchRow;
  return { id, row, ids: valid.map((v) => v.sample.id) };
}

function hostB(batch: { id: string; row: BatchRow; ids: string[] }, records: RawRecord[]) {
  const reads: string[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'host-b-'));
  return {
    dataDir,
    reads,
    deps: {
      dataDir,
      maxRecordBytes: limits.maxRecordBytes,
      ledger: {
        getBatch: async (id: string) => (id === batch.id ? batch.row : undefined),
        batchSampleIds: async () => [...batch.ids].reverse(),
      },
      log: {
        readRange: async (p: number, from: string, to: string) => {
          reads.push(`${p}:${from}..${to}`);
          return records.filter((r) => BigInt(r.offset) >= BigInt(from) && BigInt(r.offset) <= BigInt(to));
        },
      },
    },
  };
}

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

  it('names a batch the ledger does not know', async () => {
    const batch = await takenOnA(records);
    await expect(loadBatch(hostB(batch, records).deps, 'nope')).rejects.toThrow(
      /batch nope is not in the ledger/,
    );
  });
});
