import { IMAGE_BYTES, type MnistSet } from '../data/types';
import { compileCnn } from './architecture';
import type { Hyperparameters } from './hyperparameters';
import { deriveSeed, permutation } from './seeded-random';
import { assertMnistSet } from './tensors';
import type { LayersModel, Tf } from './tf';
import { train, type TrainOptions, type TrainResult } from './train';

/** Seed stream of replay selection, apart from the epoch streams of batch order. */
const REPLAY_STREAM = 0x7265706c;

export interface ReplayMix {
  readonly set: MnistSet;
  readonly newCount: number;
  readonly replayCount: number;
  /** Indices into the earlier set of the replayed samples, for lineage. */
  readonly replayIndices: Int32Array;
}

/** How many earlier samples a mix of `newCount` new ones replays: `replayShare` of the mix, at most the pool. */
export function replayCountFor(newCount: number, poolCount: number, replayShare: number): number {
  return Math.min(Math.round((newCount * replayShare) / (1 - replayShare)), poolCount);
}

/**
 * New samples plus a seeded random selection of earlier training samples, so that `replayShare` of the
 * result is replay. Training on new data alone (as the original demo did) forgets what was learnt before.
 * When the earlier set is too small, all of it is used and the share comes out lower.
 */
export function mixReplay(fresh: MnistSet, earlier: MnistSet, replayShare: number, seed: number): ReplayMix {
  assertMnistSet(fresh, 'new samples');
  assertMnistSet(earlier, 'earlier training data');
  if (!(replayShare >= 0 && replayShare < 1)) {
    throw new Error(
      `replayShare must be in [0, 1), got ${replayShare}: it is the share of earlier samples in the mix, ` +
        'and at 1 no new sample would be trained on. Set REPLAY_SHARE below 1.',
    );
  }
  const replayCount = replayCountFor(fresh.count, earlier.count, replayShare);
  const replayIndices = permutation(earlier.count, deriveSeed(seed, REPLAY_STREAM)).slice(0, replayCount);
  const count = fresh.count + replayCount;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  images.set(fresh.images);
  labels.set(fresh.labels);
  replayIndices.forEach((from, i) => {
    const to = fresh.count + i;
    images.set(earlier.images.subarray(from * IMAGE_BYTES, (from + 1) * IMAGE_BYTES), to * IMAGE_BYTES);
    labels[to] = earlier.labels[from]!;
  });
  return { set: { images, labels, count }, newCount: fresh.count, replayCount, replayIndices };
}

export interface FineTuneOptions extends Omit<TrainOptions, 'hyper'> {
  readonly hyper: Hyperparameters;
  readonly replayShare: number;
}

/**
 * Continues training the champion (in place: pass a freshly loaded copy) on new samples mixed with
 * replay, with a fresh optimizer. `hyper.epochs` is the fine-tuning epoch count (FINE_TUNE_EPOCHS).
 */
export async function fineTune(
  tf: Tf,
  champion: LayersModel,
  fresh: MnistSet,
  earlier: MnistSet,
  options: FineTuneOptions,
): Promise<TrainResult & { mix: Omit<ReplayMix, 'set'> }> {
  const { set, ...mix } = mixReplay(fresh, earlier, options.replayShare, options.hyper.seed);
  // A resumed run keeps the optimizer state its checkpoint was saved with, if it has one.
  if (!options.initialEpoch || !champion.optimizer) compileCnn(tf, champion, options.hyper);
  const result = await train(tf, champion, set, options);
  return { ...result, mix };
}
