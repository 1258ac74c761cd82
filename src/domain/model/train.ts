import type { MnistSet } from '../data/types';
import { reseedDropout } from './architecture';
import { useFastDropout } from './dropout-mask';
import type { Hyperparameters } from './hyperparameters';
import { useFastReluGradient } from './relu-gradient';
import { deriveSeed, permutation } from './seeded-random';
import { setToTensors } from './tensors';
import type { LayersModel, Tf } from './tf';

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
  readonly hyper: Pick<Hyperparameters, 'batchSize' | 'epochs' | 'seed'>;
  readonly validation?: MnistSet;
  /** First epoch to run (0-based): resuming from a checkpoint saved after epoch initialEpoch-1. */
  readonly initialEpoch?: number;
  /** Checked between batches; when it fires the current batch finishes and training stops cleanly. */
  readonly signal?: AbortSignal;
  /** After every completed epoch (never after one cut short): the place to save a checkpoint. */
  readonly onEpochEnd?: (epoch: number, model: LayersModel, metrics: EpochMetrics) => Promise<void> | void;
  /** After every batch: lets a Temporal activity heartbeat. */
  readonly onBatchEnd?: (progress: BatchProgress) => void;
}

export interface TrainResult {
  /** Epochs completed in total, counting those before initialEpoch. */
  readonly epochsCompleted: number;
  readonly cancelled: boolean;
  readonly history: readonly EpochMetrics[];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains a compiled model in place. Each epoch visits the samples in an order derived from (seed, epoch)
 * alone, so a run resumed at epoch k from the checkpoint of epoch k-1 repeats the uninterrupted run.
 */
export async function train(
  tf: Tf,
  model: LayersModel,
  data: MnistSet,
  options: TrainOptions,
): Promise<TrainResult> {
  const { batchSize, epochs, seed } = options.hyper;
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new Error(
      `initialEpoch must be an integer in 0..${epochs} (the number of epochs), got ${initialEpoch}.`,
    );
  }
  if (!model.optimizer) {
    throw new Error(
      'The model is not compiled: compile it with compileCnn, or resume from a checkpoint saved with includeOptimizer.',
    );
  }
  if (data.count === 0) throw new Error('Training set is empty: there is nothing to train on.');
  // Faster replacements for tfjs's slowest training paths (see each file): same gradients, same
  // dropout rates and per-step seeding, only drawn by another generator.
  useFastReluGradient(tf);
  useFastDropout(tf, model);
  const history: EpochMetrics[] = [];
  const batches = Math.ceil(data.count / batchSize);
  const train = setToTensors(tf, data, 'training set');
  const val = options.validation ? setToTensors(tf, options.validation, 'validation set') : undefined;
  try {
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      if (options.signal?.aborted) return { epochsCompleted: epoch, cancelled: true, history };
      const order = tf.tensor1d(permutation(data.count, deriveSeed(seed, epoch)), 'int32');
      const xs = tf.gather(train.xs, order);
      const ys = tf.gather(train.ys, order);
      order.dispose();
      let cancelled = false;
      let started = 0;
      let trainedAt = 0;
      try {
        const fit = await model.fit(xs, ys, {
          batchSize,
          epochs: 1,
          shuffle: false,
          verbose: 0,
          yieldEvery: 'never',
          validationData: val ? [val.xs, val.ys] : undefined,
          callbacks: {
            onBatchBegin: async (batch) => {
              if (batch === 0) started = performance.now();
              reseedDropout(model, deriveSeed(seed, epoch * batches + batch + 1));
            },
            onBatchEnd: async (batch, logs) => {
              trainedAt = performance.now();
              options.onBatchEnd?.({ epoch, batch, batches, loss: logs?.loss ?? NaN });
              // Lets Temporal deliver heartbeats and cancellation while training runs.
              await yieldToEventLoop();
              if (options.signal?.aborted) {
                cancelled = true;
                model.stopTraining = true;
              }
            },
          },
        });
        if (cancelled) return { epochsCompleted: epoch, cancelled: true, history };
        const last = (name: string) => fit.history[name]?.at(-1) as number | undefined;
        const seconds = (trainedAt - started) / 1000;
        const metrics: EpochMetrics = {
          epoch,
          epochs,
          loss: last('loss') ?? NaN,
          accuracy: last('acc') ?? NaN,
          valLoss: last('val_loss'),
          valAccuracy: last('val_acc'),
          imagesPerSecond: data.count / seconds,
          seconds,
        };
        history.push(metrics);
        await options.onEpochEnd?.(epoch, model, metrics);
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
    return { epochsCompleted: epochs, cancelled: false, history };
  } finally {
    train.dispose();
    val?.dispose();
  }
}
