import type { MnistSet } from '../data/types';
import { measure, openEngine, type TrainingEngine } from './engine';
import { deriveSeed, permutation } from './seeded-random';
import { setToTensors, type SetTensors } from './tensors';
import type { LayersModel, Tf } from './tf';
import { checkTrainOptions, type EpochMetrics, type TrainOptions, type TrainResult } from './train-options';

export type { BatchProgress, EpochMetrics, TrainOptions, TrainResult } from './train-options';

/** How often training hands the event loop a turn (heartbeats, cancellation), in ms. */
const YIELD_EVERY_MS = 50;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Trains a compiled model in place, as model.fit would: epochs of shuffled batches, one optimizer step
 * each (the engine, engine/), validation after each epoch. Each epoch visits the samples in an order
 * derived from (seed, epoch) alone, so a run resumed at epoch k from the checkpoint of epoch k-1 repeats
 * the uninterrupted run.
 */
export async function train(
  tf: Tf,
  model: LayersModel,
  data: MnistSet,
  options: TrainOptions,
): Promise<TrainResult> {
  const { batchSize, epochs, seed } = options.hyper;
  const { initialEpoch, rateOf } = checkTrainOptions(model, data, options);
  const batches = Math.ceil(data.count / batchSize);
  const history: EpochMetrics[] = [];
  const stopped = (epoch: number) => ({ epochsCompleted: epoch, cancelled: true, history });
  const set = setToTensors(tf, data, 'training set');
  let val: SetTensors | undefined;
  let engine: TrainingEngine | undefined;
  let yieldedAt = performance.now();
  try {
    if (options.validation) val = setToTensors(tf, options.validation, 'validation set');
    engine = await openEngine(tf, model, { seed });
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      if (options.signal?.aborted) return stopped(epoch);
      const rate = rateOf(epoch);
      if (rate !== undefined) engine.setLearningRate(rate);
      // One gather per epoch; batches are then contiguous slices of the shuffled copy.
      const order = permutation(data.count, deriveSeed(seed, epoch));
      const at = tf.tensor1d(order, 'int32');
      const [xs, ys] = [tf.gather(set.xs, at), tf.gather(set.ys, at)];
      at.dispose();
      try {
        let lossSum = 0;
        let correct = 0;
        const started = performance.now();
        for (let batch = 0; batch < batches; batch++) {
          const start = batch * batchSize;
          const size = Math.min(batchSize, data.count - start);
          const nextSize = Math.min(batchSize, data.count - ((batch + 1) % batches) * batchSize);
          const [bx, by] = [xs.slice(start, size), ys.slice(start, size)];
          try {
            const totals = engine.step(bx, by, epoch * batches + batch + 1, nextSize);
            lossSum += totals.loss * size;
            correct += totals.correct;
            options.onBatchEnd?.({ epoch, batch, batches, loss: totals.loss });
            options.onFed?.(order.subarray(start, start + size));
          } finally {
            tf.dispose([bx, by]);
          }
          if (performance.now() - yieldedAt >= YIELD_EVERY_MS) {
            await yieldToEventLoop(); // lets Temporal deliver heartbeats and cancellation
            yieldedAt = performance.now();
          }
          if (options.signal?.aborted) return stopped(epoch);
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
        await engine.sync();
        await options.onEpochEnd?.(epoch, model, metrics);
      } finally {
        tf.dispose([xs, ys]);
      }
    }
    return { epochsCompleted: epochs, cancelled: false, history };
  } finally {
    try {
      await engine?.close();
    } finally {
      set.dispose();
      val?.dispose();
    }
  }
}
