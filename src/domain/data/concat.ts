import { IMAGE_BYTES, type MnistSet } from './types';

/** One set holding `sets` one after another, in the given order (batches of several partitions, replay pools). */
export function concatSets(sets: readonly MnistSet[]): MnistSet {
  const count = sets.reduce((n, s) => n + s.count, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of sets) {
    images.set(s.images.subarray(0, s.count * IMAGE_BYTES), at * IMAGE_BYTES);
    labels.set(s.labels.subarray(0, s.count), at);
    at += s.count;
  }
  return { images, labels, count };
}
