/**
 * Deterministic seeded split of the 60 000 training images into stream, validation and train.
 * xoroshiro128+ from pure-rand with its unbiased uniform integer distribution (the `unsafe` variant only
 * means it advances the generator in place): pure integer arithmetic, so the same seed gives
 * the same permutation on every machine and Node version (Math.random cannot be seeded).
 */
import { createHash } from 'node:crypto';
import { permutation } from '../model/seeded-random';
import { MnistDataError } from './errors';

export interface SplitSizes {
  /** Held back and published later as new data. */
  readonly stream: number;
  readonly validation: number;
}

/** Indices into the canonical sets: train/validation/stream into the 60 000, test into the 10 000. */
export interface SplitIndices {
  readonly train: readonly number[];
  readonly validation: readonly number[];
  readonly stream: readonly number[];
  readonly test: readonly number[];
}

/** The seed feeds a 32-bit generator seed; larger values would silently alias smaller ones. */
export const MAX_SEED = 0xffff_ffff;

/** Fisher–Yates shuffle of 0..n-1 (the one seeded shuffle, shared with training's batch order). */
export function seededPermutation(n: number, seed: number): number[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new MnistDataError(
      'bad-request',
      'SEED',
      `seed ${seed} is not an integer in 0..${MAX_SEED}`,
      'Set SEED to a 32-bit unsigned integer.',
    );
  }
  return Array.from(permutation(n, seed));
}

/**
 * Shuffles the training indices once and cuts them: the first `stream` go to the stream split (in that
 * order, which is also the order they are published in), the next `validation` to validation, the rest
 * to train. Test is the whole t10k set, unshuffled.
 */
export function computeSplits(seed: number, trainCount: number, testCount: number, sizes: SplitSizes): SplitIndices {
  if (sizes.stream + sizes.validation >= trainCount) {
    throw new MnistDataError(
      'bad-request',
      'STREAM_SIZE/VALIDATION_SIZE',
      `stream (${sizes.stream}) + validation (${sizes.validation}) leave no training images out of ${trainCount}`,
      'Lower STREAM_SIZE or VALIDATION_SIZE.',
    );
  }
  const perm = seededPermutation(trainCount, seed);
  return {
    stream: perm.slice(0, sizes.stream),
    validation: perm.slice(sizes.stream, sizes.stream + sizes.validation),
    train: perm.slice(sizes.stream + sizes.validation),
    test: Array.from({ length: testCount }, (_, i) => i),
  };
}

/** sha256 of the indices written in decimal, comma-separated: easy to recompute in any language. */
export function indexListSha256(indices: readonly number[]): string {
  return createHash('sha256').update(indices.join(',')).digest('hex');
}
