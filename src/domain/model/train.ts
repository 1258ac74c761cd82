import type { MnistSet } from '../data/types';
import { reseedDropout } from './architecture';
import { makeCnnStep } from './cnn-step';
import { plannedMasks, useFastDropout } from './dropout-mask';
import { fusedAdam, type OptimizerUpdate } from './fused-adam';
import { startMaskPrefetch } from './mask-prefetch';
import type { Hyperparameters } from './hyperparameters';
import { useFastReluGradient } from './relu-gradient';
import { deriveSeed, permutation } from './seeded-random';
import { setToTensors, type SetTensors } from './tensors';
import { assertTrainable, makeTrainStep, measure, type BatchTotals } from './train-step';
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
}

export interface TrainResult {
  /** Epochs completed in total, counting those before initialEpoch. */
  readonly epochsCompleted: number;
  readonly cancelled: boolean;
  readonly history: readonly EpochMetrics[];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * How often training hands the event loop a turn (heartbeats, cancellation), in ms. A training step is
 * synchronous native work; yielding per batch cost little, but on small batches nothing needs more.
 */
const YIELD_EVERY_MS = 50;

/**
 * Trains a compiled model in place. Each epoch visits the samples in an order derived from (seed, epoch)
 * alone, so a run resumed at epoch k from the checkpoint of epoch k-1 repeats the uninterrupted run.
 *
 * A loop of its own rather than model.fit: per batch fit gathers the batch by index, runs its callback
 * and log machinery and awaits between them; here a batch is a slice of the epoch's shuffled copy and
 * one optimizer step (train-step.ts), with the same loss, metrics and dropout seeding as fit.
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
  assertTrainable(model);
  const decay = options.hyper.learningRateDecay ?? 1;
  if (!(decay > 0 && decay <= 1) || (decay !== 1 && options.hyper.learningRate === undefined)) {
    throw new Error(
      `learningRateDecay must be in (0, 1] and needs learningRate, got ${decay} with ${options.hyper.learningRate}.`,
    );
  }
  if (data.count === 0) throw new Error('Training set is empty: there is nothing to train on.');
  // Faster replacements for tfjs's slowest training paths (see each file): same gradients, same
  // dropout rates and per-step seeding, only drawn by another generator.
  useFastReluGradient(tf);
  const history: EpochMetrics[] = [];
  const batches = Math.ceil(data.count / batchSize);
  const train = setToTensors(tf, data, 'training set');
  // After the set checks above, so a bad set leaves no worker thread behind; closed in the finally below.
  const masks = startMaskPrefetch();
  useFastDropout(tf, model, masks);
  let val: SetTensors | undefined;
  let update: OptimizerUpdate | undefined;
  let yieldedAt = performance.now();
  try {
    if (options.validation) val = setToTensors(tf, options.validation, 'validation set');
    update = await fusedAdam(tf, model);
    const step = makeCnnStep(tf, model, update) ?? makeTrainStep(tf, model, update);
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      if (options.signal?.aborted) return { epochsCompleted: epoch, cancelled: true, history };
      // From the base rate and the epoch alone, so a resumed run trains each epoch at the same rate.
      if (decay !== 1) setLearningRate(model, update, options.hyper.learningRate! * decay ** epoch);
      // One gather per epoch; batches are then contiguous slices of the shuffled copy.
      const [xs, ys] = tf.tidy(() => {
        const order = tf.tensor1d(permutation(data.count, deriveSeed(seed, epoch)), 'int32');
        return [tf.gather(train.xs, order), tf.gather(train.ys, order)];
      });
      try {
        let lossSum = 0;
        let correct = 0;
        const started = performance.now();
        for (let batch = 0; batch < batches; batch++) {
          const start = batch * batchSize;
          const size = Math.min(batchSize, data.count - start);
          const globalStep = epoch * batches + batch + 1;
          // The next step's masks are drawn on the side while this step's native ops run.
          const next = Math.min(batchSize, data.count - ((batch + 1) % batches) * batchSize);
          masks.prefetch(plannedMasks(model, deriveSeed(seed, globalStep + 1), next));
          reseedDropout(model, deriveSeed(seed, globalStep));
          const bx = xs.slice(start, size);
          const by = ys.slice(start, size);
          let totals: BatchTotals;
          try {
            totals = step(bx, by);
          } finally {
            bx.dispose();
            by.dispose();
          }
          lossSum += totals.loss * size;
          correct += totals.correct;
          options.onBatchEnd?.({ epoch, batch, batches, loss: totals.loss });
          if (performance.now() - yieldedAt >= YIELD_EVERY_MS) {
            // Lets Temporal deliver heartbeats and cancellation while training runs.
            await yieldToEventLoop();
            yieldedAt = performance.now();
          }
          if (options.signal?.aborted) return { epochsCompleted: epoch, cancelled: true, history };
        }
        const seconds = (performance.now() - started) / 1000;
        const validation = val && measure(tf, model, val.xs, val.ys, batchSize);
        const metrics: EpochMetrics = {
          epoch,
          epochs,
          loss: lossSum / data.count,
          accuracy: correct / data.count,
          valLoss: validation?.loss,
          valAccuracy: validation?.accuracy,
          imagesPerSecond: data.count / seconds,
          seconds,
        };
        history.push(metrics);
        await update?.sync();
        await options.onEpochEnd?.(epoch, model, metrics);
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
    return { epochsCompleted: epochs, cancelled: false, history };
  } finally {
    // A cancelled or failed epoch's steps stay in the optimizer too, as they did with model.fit.
    try {
      await update?.sync();
    } finally {
      update?.dispose();
      useFastDropout(tf, model);
      await masks.close();
      train.dispose();
      val?.dispose();
    }
  }
}

/** The rate the next steps train at, in the fused update and in the optimizer (checkpoints save it). */
function setLearningRate(model: LayersModel, update: OptimizerUpdate | undefined, rate: number): void {
  update?.setLearningRate(rate);
  // Adam, SGD and RMSProp in tfjs 4.22 keep it in this (protected) field and read it per step.
  (model.optimizer as unknown as { learningRate: number }).learningRate = rate;
}
