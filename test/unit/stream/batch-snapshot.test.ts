import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IMAGE_BYTES } from '../../../src/domain/data/types';
import {
  batchId,
  findBatchSnapshot,
  markSnapshotUsed,
  readBatchSnapshot,
  snapshotPaths,
  writeBatchSnapshot,
} from '../../../src/domain/stream/batch-snapshot';
import { StreamError } from '../../../src/domain/stream/errors';

const samples = Array.from({ length: 5 }, (_, i) => ({
  id: `stream-${100 + i}`,
  label: i,
  image: Uint8Array.from({ length: IMAGE_BYTES }, (_, p) => (p + i * 31) % 256),
}));

let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapshot-'));
});
afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

describe('batch snapshots', () => {
  const id = batchId('mnist.samples', 0, '10', '14');

  it('names batches after topic, partition and inclusive offsets', () => {
    expect(id).toBe('mnist.samples-0-10-14');
    expect(() => batchId('a/b', 0, '0', '1')).toThrow(/topic/);
    expect(() => batchId('t', 0, '5', '4')).toThrow(/backwards/);
  });

  it('round-trips samples, ids and labels', async () => {
    const snap = await writeBatchSnapshot(dataDir, id, samples);
    expect(snap.file).toBe(path.join(dataDir, 'to_use_for_training', `${id}.msb`));
    expect(snap.count).toBe(5);
    expect((await fs.stat(snap.file)).size).toBe(snap.bytes);
    const back = await readBatchSnapshot(snap.file);
    expect(back.sha256).toBe(snap.sha256);
    expect(back.ids).toEqual(samples.map((s) => s.id));
    expect(Array.from(back.set.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(back.set.count).toBe(5);
    expect(back.set.images.subarray(3 * IMAGE_BYTES, 4 * IMAGE_BYTES)).toEqual(samples[3]!.image);
    // No temp files left behind.
    expect(await fs.readdir(path.dirname(snap.file))).toEqual([`${id}.msb`]);
  });

  it('writes an empty batch (all records dead-lettered) as a valid file', async () => {
    const snap = await writeBatchSnapshot(dataDir, id, []);
    expect((await readBatchSnapshot(snap.file)).set.count).toBe(0);
  });

  it('is a no-op to snapshot the same batch again, even after it was used', async () => {
    const first = await writeBatchSnapshot(dataDir, id, samples);
    const stat = await fs.stat(first.file);
    const again = await writeBatchSnapshot(dataDir, id, samples);
    expect(again).toEqual(first);
    expect((await fs.stat(first.file)).mtimeMs).toBe(stat.mtimeMs);

    await markSnapshotUsed(dataDir, id);
    const afterUse = await writeBatchSnapshot(dataDir, id, samples);
    expect(afterUse.file).toBe(snapshotPaths(dataDir, id).used);
    expect(await findBatchSnapshot(dataDir, id)).toBe(snapshotPaths(dataDir, id).used);
  });

  it('refuses different content under the same batch id', async () => {
    await writeBatchSnapshot(dataDir, id, samples);
    const changed = [...samples.slice(0, 4), { ...samples[4]!, label: 9 }];
    await expect(writeBatchSnapshot(dataDir, id, changed)).rejects.toMatchObject({
      kind: 'snapshot-conflict',
    });
  });

  it('moves a used batch once, and moving again is fine', async () => {
    await writeBatchSnapshot(dataDir, id, samples);
    const used = await markSnapshotUsed(dataDir, id);
    expect(used).toBe(snapshotPaths(dataDir, id).used);
    expect(await markSnapshotUsed(dataDir, id)).toBe(used);
    await expect(fs.stat(snapshotPaths(dataDir, id).toUse)).rejects.toThrow();
    expect((await readBatchSnapshot(used)).ids).toHaveLength(5);
  });

  it('says so when there is nothing to move', async () => {
    await expect(markSnapshotUsed(dataDir, 'nothing-0-0-0')).rejects.toMatchObject({
      kind: 'snapshot-missing',
    });
    expect(await findBatchSnapshot(dataDir, 'nothing-0-0-0')).toBeUndefined();
  });

  it('detects truncated and trailing bytes', async () => {
    const snap = await writeBatchSnapshot(dataDir, id, samples);
    const bytes = await fs.readFile(snap.file);
    const bad = path.join(dataDir, 'bad.msb');
    await fs.writeFile(bad, bytes.subarray(0, bytes.length - 3));
    await expect(readBatchSnapshot(bad)).rejects.toThrow(StreamError);
    await fs.writeFile(bad, Buffer.concat([bytes, Buffer.from([1])]));
    await expect(readBatchSnapshot(bad)).rejects.toThrow(/trailing/);
    await fs.writeFile(bad, Buffer.from('IDX3....'));
    await expect(readBatchSnapshot(bad)).rejects.toThrow(/not an MSB1/);
  });

  it('refuses samples that were not validated', async () => {
    await expect(writeBatchSnapshot(dataDir, id, [{ ...samples[0]!, label: 12 }])).rejects.toMatchObject({
      kind: 'bad-request',
    });
  });
});
