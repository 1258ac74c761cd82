import { MnistDataError } from './errors';
import { IMAGE_BYTES, type MnistSet } from './types';

/** A copy of the samples at `indices`, in that order. */
export function subset(set: MnistSet, indices: readonly number[]): MnistSet {
  const images = new Uint8Array(indices.length * IMAGE_BYTES);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!;
    if (!Number.isInteger(src) || src < 0 || src >= set.count) {
      throw new MnistDataError(
        'bad-request',
        `index #${i}`,
        `sample index ${src} is outside the set of ${set.count}`,
        'Use indices from a split manifest made for this data set.',
      );
    }
    images.set(set.images.subarray(src * IMAGE_BYTES, (src + 1) * IMAGE_BYTES), i * IMAGE_BYTES);
    labels[i] = set.labels[src]!;
  }
  return { images, labels, count: indices.length };
}
