import { IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES, type MnistSet } from '../data/types';
import type { Tensor, Tf } from './tf';

/** Fails with a message naming the defect, before any tensor is made from a malformed set. */
export function assertMnistSet(set: MnistSet, what: string): void {
  if (!Number.isInteger(set.count) || set.count < 0) {
    throw new Error(`${what}: count must be a non-negative integer, got ${set.count}.`);
  }
  if (set.images.length !== set.count * IMAGE_BYTES) {
    throw new Error(
      `${what}: expected ${set.count} × ${IMAGE_BYTES} = ${set.count * IMAGE_BYTES} image bytes, got ` +
        `${set.images.length}. Images must be 28×28 greyscale bytes, sample after sample.`,
    );
  }
  if (set.labels.length !== set.count) {
    throw new Error(`${what}: expected ${set.count} labels, got ${set.labels.length}.`);
  }
  const bad = set.labels.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) throw new Error(`${what}: label ${set.labels[bad]} at sample ${bad} is not a digit 0..9.`);
}

/** Pixels of samples [start, start+count) as float32 NHWC in 0..1, the model's input. */
export function imagesToTensor(tf: Tf, images: Uint8Array, start: number, count: number): Tensor {
  const values = new Float32Array(count * IMAGE_BYTES);
  const offset = start * IMAGE_BYTES;
  for (let i = 0; i < values.length; i++) values[i] = images[offset + i]! / 255;
  return tf.tensor4d(values, [count, IMAGE_SIDE, IMAGE_SIDE, 1], 'float32');
}

export function labelsToOneHot(tf: Tf, labels: Uint8Array): Tensor {
  const values = new Float32Array(labels.length * NUM_CLASSES);
  for (let i = 0; i < labels.length; i++) values[i * NUM_CLASSES + labels[i]!] = 1;
  return tf.tensor2d(values, [labels.length, NUM_CLASSES], 'float32');
}

/** A whole set as tensors, built once per data set rather than once per batch. Caller disposes. */
export interface SetTensors {
  readonly xs: Tensor;
  readonly ys: Tensor;
  dispose(): void;
}

export function setToTensors(tf: Tf, set: MnistSet, what: string): SetTensors {
  assertMnistSet(set, what);
  const xs = imagesToTensor(tf, set.images, 0, set.count);
  const ys = labelsToOneHot(tf, set.labels);
  return {
    xs,
    ys,
    dispose: () => {
      xs.dispose();
      ys.dispose();
    },
  };
}
