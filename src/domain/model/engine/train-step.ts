import type { OptimizerUpdate } from './fused-adam';
import type { LayersModel, Tensor, Tf } from '../tf';

/** Sums over one batch, read back once per batch (the progress callback needs the loss anyway). */
export interface BatchTotals {
  /** Mean loss of the batch, as model.fit reports it. */
  readonly loss: number;
  /** Samples whose arg-max prediction is the label. */
  readonly correct: number;
}

type TrainableVariables = NonNullable<Parameters<LayersModel['optimizer']['minimize']>[2]>;

/** The loss this training loop computes; other compiled losses are refused rather than ignored. */
const LOSS = 'categoricalCrossentropy';

/**
 * Fails unless the model was compiled as compileCnn does: the custom loop below computes the loss itself
 * (what model.fit would take from the compiled loss) and would otherwise silently train on another one.
 */
export function assertTrainable(model: LayersModel): void {
  if (!model.optimizer) {
    throw new Error(
      'The model is not compiled: compile it with compileCnn, or resume from a checkpoint saved with includeOptimizer.',
    );
  }
  if (model.loss !== LOSS) {
    throw new Error(
      `The model is compiled with loss ${JSON.stringify(model.loss)}; training supports '${LOSS}' only. ` +
        'Compile it with compileCnn.',
    );
  }
}

/**
 * One optimizer step per call, what model.fit's train function does for a batch (training-mode forward
 * pass, mean categorical cross-entropy plus any regularizer losses, optimizer.minimize over the trainable
 * weights, accuracy from the same forward pass) without fit's per-batch gather, callback and log
 * machinery. With `update` the gradients go to it instead of the optimizer (fused-adam.ts). Everything
 * it allocates is freed before it returns.
 */
export function makeTrainStep(
  tf: Tf,
  model: LayersModel,
  update?: OptimizerUpdate,
): (xs: Tensor, ys: Tensor) => BatchTotals {
  assertTrainable(model);
  const optimizer = model.optimizer;
  // LayerVariable.read() is the variable itself, updated in place by the optimizer: read once.
  const variables = model.trainableWeights.map((w) => w.read()) as TrainableVariables;
  return (xs, ys) => {
    let correct: Tensor | undefined;
    const lossFn = () => {
      const probs = model.apply(xs, { training: true }) as Tensor;
      correct = tf.keep(tf.sum(tf.metrics.categoricalAccuracy(ys, probs)));
      let total = tf.mean(tf.metrics.categoricalCrossentropy(ys, probs));
      for (const penalty of model.calculateLosses()) total = tf.add(total, penalty);
      return total as ReturnType<Tf['scalar']>;
    };
    let loss: Tensor | null = null;
    try {
      if (update) {
        const { value, grads } = tf.variableGrads(lossFn, variables);
        loss = value;
        try {
          update.apply(grads);
        } finally {
          tf.dispose(grads);
        }
      } else {
        loss = optimizer.minimize(lossFn, true, variables);
      }
      return { loss: loss!.dataSync()[0]!, correct: correct!.dataSync()[0]! };
    } finally {
      loss?.dispose();
      correct?.dispose();
    }
  };
}

/** Mean loss and accuracy of the model on a set (inference mode), batch by batch as fit validates. */
export function measure(
  tf: Tf,
  model: LayersModel,
  xs: Tensor,
  ys: Tensor,
  batchSize: number,
): { loss: number; accuracy: number } {
  const count = xs.shape[0]!;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const [loss, hits] = tf.tidy(() => {
      const y = ys.slice(start, n);
      const probs = model.apply(xs.slice(start, n), { training: false }) as Tensor;
      return [
        tf.sum(tf.metrics.categoricalCrossentropy(y, probs)),
        tf.sum(tf.metrics.categoricalAccuracy(y, probs)),
      ];
    });
    lossSum += loss.dataSync()[0]!;
    correct += hits.dataSync()[0]!;
    tf.dispose([loss, hits]);
  }
  return { loss: lossSum / count, accuracy: correct / count };
}
