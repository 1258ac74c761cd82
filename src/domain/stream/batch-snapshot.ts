/**
 * Batch snapshot files: the valid samples of one consumed batch, frozen on disk before training uses
 * them, so a retried training step sees exactly the same data even after Kafka moved on.
 *
 * Format "MSB1" (one file, so one rename makes it appear atomically; an IDX pair plus an id list would
 * be three files that can disagree after a crash):
 *   magic "MSB1" | count u32 BE | count label bytes | count × 784 pixel bytes |
 *   count × (id byte length u16 BE, id UTF-8)
 * Labels and pixels sit in one block each, so reading gives MnistSet views without copying.
 */
import { isUtf8 } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncPath, writeFileDurable } from '../../durable-file';
import { sha256Hex } from '../data/idx';
import { IMAGE_BYTES, NUM_CLASSES, type MnistSet } from '../data/types';
import { StreamError } from './errors';
import { SAMPLE_ID_PATTERN, type PublishableSample } from './record';

export const SNAPSHOT_EXT = 'msb';
const MAGIC = Buffer.from('MSB1', 'ascii');
const HEADER_BYTES = 8;
export const TO_USE_DIR = 'to_use_for_training';
export const USED_DIR = 'used_for_training';

export interface BatchSnapshot {
  readonly batchId: string;
  readonly file: string;
  /** sha256 of the whole file. */
  readonly sha256: string;
  readonly count: number;
  readonly bytes: number;
}

export interface LoadedSnapshot {
  readonly set: MnistSet;
  /** ids[i] is the sample at position i of set. */
  readonly ids: string[];
  readonly sha256: string;
}

/** `<topic>-<partition>-<startOffset>-<endOffset>`, both offsets inclusive. */
export function batchId(topic: string, partition: number, startOffset: string, endOffset: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(topic)) {
    throw new StreamError(
      'bad-request',
      `topic ${JSON.stringify(topic)} is not a legal Kafka topic name`,
      'Check KAFKA_TOPIC.',
    );
  }
  if (BigInt(endOffset) < BigInt(startOffset)) {
    throw new StreamError(
      'bad-request',
      `batch offsets ${startOffset}..${endOffset} run backwards`,
      'Pass start ≤ end.',
    );
  }
  return `${topic}-${partition}-${startOffset}-${endOffset}`;
}

export function snapshotPaths(dataDir: string, id: string): { toUse: string; used: string } {
  const name = `${id}.${SNAPSHOT_EXT}`;
  return { toUse: path.join(dataDir, TO_USE_DIR, name), used: path.join(dataDir, USED_DIR, name) };
}

/** The batch id a snapshot file is named after (the inverse of snapshotPaths). */
export const batchIdOfSnapshot = (file: string): string => path.basename(file, `.${SNAPSHOT_EXT}`);

export function encodeSnapshot(samples: readonly PublishableSample[]): Buffer {
  // Sized first, then filled: one allocation and one copy of each image, no per-id Buffers.
  let idBytes = 0;
  for (const s of samples) {
    if (!SAMPLE_ID_PATTERN.test(s.id)) {
      throw new StreamError(
        'bad-request',
        `sample id ${JSON.stringify(s.id)} is not valid`,
        'Validate records with decodeRecord first.',
      );
    }
    if (
      s.image.length !== IMAGE_BYTES ||
      !Number.isInteger(s.label) ||
      s.label < 0 ||
      s.label >= NUM_CLASSES
    ) {
      throw new StreamError(
        'bad-request',
        `sample ${s.id} has a wrong image size or label`,
        'Validate records with decodeRecord first.',
      );
    }
    // The pattern admits ASCII only: one byte per character.
    idBytes += 2 + s.id.length;
  }
  const n = samples.length;
  // Unzeroed is safe: the loop below writes every byte (header, labels, images, ids).
  const out = Buffer.allocUnsafe(HEADER_BYTES + n + n * IMAGE_BYTES + idBytes);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(n, 4);
  let pos = HEADER_BYTES + n + n * IMAGE_BYTES;
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    out[HEADER_BYTES + i] = s.label;
    out.set(s.image, HEADER_BYTES + n + i * IMAGE_BYTES);
    out.writeUInt16BE(s.id.length, pos);
    out.write(s.id, pos + 2, 'latin1');
    pos += 2 + s.id.length;
  }
  return out;
}

export function decodeSnapshot(bytes: Buffer, file: string): LoadedSnapshot {
  const corrupt = (what: string) =>
    new StreamError(
      'snapshot-corrupt',
      `${file}: ${what}`,
      'Delete the file and take the batch again from Kafka (its offsets were not committed).',
    );
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC))
    throw corrupt('not an MSB1 batch snapshot');
  const count = bytes.readUInt32BE(4);
  const idsStart = HEADER_BYTES + count + count * IMAGE_BYTES;
  if (bytes.length < idsStart)
    throw corrupt(`header says ${count} samples but the file is only ${bytes.length} bytes`);
  const labels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + count);
  const bad = labels.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) throw corrupt(`label #${bad} is ${labels[bad]}`);
  const ids: string[] = [];
  let pos = idsStart;
  for (let i = 0; i < count; i++) {
    if (pos + 2 > bytes.length) throw corrupt(`id list ends after ${i} of ${count} ids`);
    const len = bytes.readUInt16BE(pos);
    const raw = bytes.subarray(pos + 2, pos + 2 + len);
    if (raw.length !== len || !isUtf8(raw)) throw corrupt(`id #${i} is truncated or not UTF-8`);
    ids.push(raw.toString('utf8'));
    pos += 2 + len;
  }
  if (pos !== bytes.length) throw corrupt(`${bytes.length - pos} trailing bytes`);
  return {
    set: { count, labels, images: bytes.subarray(HEADER_BYTES + count, idsStart) },
    ids,
    sha256: sha256Hex(bytes),
  };
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Writes the snapshot to to_use_for_training (temp file, fsync, rename, fsync of the folder). Writing
 * the same batch again with the same content is a no-op, wherever the file is by now; with different
 * content it is an error, because training may already have used the first version.
 */
export async function writeBatchSnapshot(
  dataDir: string,
  id: string,
  samples: readonly PublishableSample[],
): Promise<BatchSnapshot> {
  const bytes = encodeSnapshot(samples);
  const sha256 = sha256Hex(bytes);
  const paths = snapshotPaths(dataDir, id);
  for (const existing of [paths.toUse, paths.used]) {
    const old = await readIfExists(existing);
    if (old === undefined) continue;
    const oldSha = sha256Hex(old);
    if (oldSha !== sha256) {
      throw new StreamError(
        'snapshot-conflict',
        `batch ${id} was already snapshotted to ${existing} with different content (sha256 ${oldSha}, new ${sha256})`,
        'A batch id names fixed offsets, so its content cannot change: find out why the records differ before deleting the old file',
      );
    }
    return { batchId: id, file: existing, sha256, count: samples.length, bytes: bytes.length };
  }
  await writeFileDurable(paths.toUse, bytes, { exclusive: true });
  return { batchId: id, file: paths.toUse, sha256, count: samples.length, bytes: bytes.length };
}

export async function readBatchSnapshot(file: string): Promise<LoadedSnapshot> {
  const bytes = await readIfExists(file);
  if (bytes === undefined) {
    throw new StreamError(
      'snapshot-missing',
      `batch snapshot ${file} does not exist`,
      'Check the path the ledger recorded for the batch',
    );
  }
  return decodeSnapshot(bytes, file);
}

/** The snapshot of a batch wherever it is (to use, or used), or undefined. */
export async function findBatchSnapshot(dataDir: string, id: string): Promise<string | undefined> {
  const paths = snapshotPaths(dataDir, id);
  for (const p of [paths.toUse, paths.used]) {
    if (await exists(p)) return p;
  }
  return undefined;
}

/** Moves the snapshot to used_for_training; already moved is fine. Returns its new path. */
export async function markSnapshotUsed(dataDir: string, id: string): Promise<string> {
  const paths = snapshotPaths(dataDir, id);
  await fs.mkdir(path.dirname(paths.used), { recursive: true });
  try {
    await fs.rename(paths.toUse, paths.used);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!(await exists(paths.used))) {
      throw new StreamError(
        'snapshot-missing',
        `batch ${id} has no snapshot in ${path.dirname(paths.toUse)} nor in ${path.dirname(paths.used)}`,
        'Take the batch again (its offsets are only committed after training used it)',
      );
    }
    return paths.used;
  }
  await fsyncPath(path.dirname(paths.used));
  return paths.used;
}
