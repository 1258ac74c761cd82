import { IMAGE_BYTES, NUM_CLASSES, type MnistSet } from '../data/types';
import { assertMnistSet, imagesToTensor } from './tensors';
import type { LayersModel, Tensor, Tf } from './tf';

export interface Evaluation {
  readonly count: number;
  /** Mean categorical cross-entropy, probabilities clipped at 1e-7 as Keras does. */
  readonly loss: number;
  readonly accuracy: number;
  /** Accuracy per true digit; NaN for a digit absent from the set. */
  readonly perClassAccuracy: readonly number[];
  /** confusion[actual][predicted] = count of samples. */
  readonly confusion: readonly (readonly number[])[];
}

export interface Prediction {
  readonly digit: number;
  readonly probabilities: readonly number[];
}

const EPSILON = 1e-7;
/**
 * Large enough to keep the CPU busy, small enough that memory stays flat on any set size: at 1024 a chunk's
 * activations (two conv outputs, their ReLUs, …) lifted the peak RSS of evaluating 10 000 images by ~800 MB,
 * at 256 by ~240 MB, for the same or less CPU time (bench/train/README.md).
 */
export const DEFAULT_EVAL_BATCH = 256;

/** Class probabilities for each chunk of samples, one chunk in memory at a time. */
async function forEachChunk(
  tf: Tf,
  model: LayersModel,
  images: Uint8Array,
  count: number,
  batchSize: number,
  visit: (start: number, probs: Float32Array) => void,
): Promise<void> {
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const probs = tf.tidy(
      () => model.predict(imagesToTensor(tf, images, start, n), { batchSize: n }) as Tensor,
    );
    try {
      visit(start, (await probs.data()) as Float32Array);
    } finally {
      probs.dispose();
    }
  }
}

function argMax(values: Float32Array, offset: number): number {
  let best = 0;
  for (let k = 1; k < NUM_CLASSES; k++) if (values[offset + k]! > values[offset + best]!) best = k;
  return best;
}

export async function evaluate(
  tf: Tf,
  model: LayersModel,
  set: MnistSet,
  batchSize = DEFAULT_EVAL_BATCH,
): Promise<Evaluation> {
  assertMnistSet(set, 'evaluation set');
  if (set.count === 0) throw new Error('Evaluation set is empty: there is nothing to evaluate.');
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  let lossSum = 0;
  await forEachChunk(tf, model, set.images, set.count, batchSize, (start, probs) => {
    const n = probs.length / NUM_CLASSES;
    for (let i = 0; i < n; i++) {
      const actual = set.labels[start + i]!;
      const p = probs[i * NUM_CLASSES + actual]!;
      lossSum -= Math.log(Math.min(Math.max(p, EPSILON), 1 - EPSILON));
      confusion[actual]![argMax(probs, i * NUM_CLASSES)]!++;
    }
  });
  const correct = confusion.reduce((sum, row, k) => sum + row[k]!, 0);
  const perClassAccuracy = confusion.map((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[k]! / total;
  });
  return {
    count: set.count,
    loss: lossSum / set.count,
    accuracy: correct / set.count,
    perClassAccuracy,
    confusion,
  };
}

/** Digit and class probabilities per image; `images` holds count × 784 pixel bytes. */
export async function predict(
  tf: Tf,
  model: LayersModel,
  images: Uint8Array,
  batchSize = DEFAULT_EVAL_BATCH,
): Promise<Prediction[]> {
  if (images.length % IMAGE_BYTES !== 0) {
    throw new Error(
      `predict: ${images.length} bytes is not a whole number of 28×28 images (${IMAGE_BYTES} bytes each).`,
    );
  }
  const out: Prediction[] = [];
  await forEachChunk(tf, model, images, images.length / IMAGE_BYTES, batchSize, (_start, probs) => {
    for (let i = 0; i < probs.length / NUM_CLASSES; i++) {
      out.push({
        digit: argMax(probs, i * NUM_CLASSES),
        probabilities: Array.from(probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)),
      });
    }
  });
  return out;
}
