/** What train() takes and reports, and the checks it runs on its arguments before touching a tensor. */
import type { MnistSet } from '../data/types';
import { assertTrainable } from './engine';
import type { Hyperparameters } from './hyperparameters';
import type { LayersModel } from './tf';

export interface EpochMetrics {
  /** 0-based index of the epoch just completed. */
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  /** Training throughput of this epoch, validation excluded. */
  readonly imagesPerSecond: number;
  readonly seconds: number;
}

export interface BatchProgress {
  readonly epoch: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
}

export interface TrainOptions {
  readonly hyper: Pick<Hyperparameters, 'batchSize' | 'epochs' | 'seed'> &
    Partial<Pick<Hyperparameters, 'learningRate' | 'learningRateDecay'>>;
  readonly validation?: MnistSet;
  /** First epoch to run (0-based): resuming from a checkpoint saved after epoch initialEpoch-1. */
  readonly initialEpoch?: number;
  /** Checked between batches; when it fires the current batch finishes and training stops cleanly. */
  readonly signal?: AbortSignal;
  /** After every completed epoch (never after one cut short): the place to save a checkpoint. */
  readonly onEpochEnd?: (epoch: number, model: LayersModel, metrics: EpochMetrics) => Promise<void> | void;
  /** After every batch: lets a Temporal activity heartbeat. */
  readonly onBatchEnd?: (progress: BatchProgress) => void;
  /** After every optimizer step: the indices into the training set it trained on (training evidence). */
  readonly onFed?: (indices: Int32Array) => void;
}

export interface TrainResult {
  /** Epochs completed in total, counting those before initialEpoch. */
  readonly epochsCompleted: number;
  readonly cancelled: boolean;
  readonly history: readonly EpochMetrics[];
}

/**
 * Checks train()'s arguments; returns the first epoch to run and the learning rate of an epoch
 * (undefined: leave the optimizer's rate). The rate comes from the base rate and the epoch alone, so a
 * resumed run trains each epoch at the same rate.
 */
export function checkTrainOptions(
  model: LayersModel,
  data: MnistSet,
  options: TrainOptions,
): { initialEpoch: number; rateOf: (epoch: number) => number | undefined } {
  const { epochs, learningRate } = options.hyper;
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new Error(
      `initialEpoch must be an integer in 0..${epochs} (the number of epochs), got ${initialEpoch}.`,
    );
  }
  assertTrainable(model);
  const decay = options.hyper.learningRateDecay ?? 1;
  if (!(decay > 0 && decay <= 1) || (decay !== 1 && learningRate === undefined)) {
    throw new Error(
      `learningRateDecay must be in (0, 1] and needs learningRate, got ${decay} with ${learningRate}.`,
    );
  }
  if (data.count === 0) throw new Error('Training set is empty: there is nothing to train on.');
  return { initialEpoch, rateOf: (epoch) => (decay === 1 ? undefined : learningRate! * decay ** epoch) };
}
