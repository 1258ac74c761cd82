/**
 * The training engine: one optimizer step at a time for train(), with every speed-up of this folder
 * behind one facade. On tfjs-node with a plain CNN a step is the hand-written forward/backward pass
 * (cnn-step.ts) into TensorFlow's fused Adam (fused-adam.ts), with dropout masks drawn ahead on a worker
 * thread (mask-prefetch.ts) and the faster ReLU gradient (relu-gradient.ts); anything else takes the
 * generic step (train-step.ts: tfjs's tape, the same update). Both give the same training; tests
 * compare them.
 */
import { deriveSeed } from '../seeded-random';
import type { LayersModel, Tensor, Tf } from '../tf';
import { makeCnnStep } from './cnn-step';
import { plannedMasks, reseedDropout, useFastDropout } from './dropout-mask';
import { fusedAdam, type OptimizerUpdate } from './fused-adam';
import { startMaskPrefetch } from './mask-prefetch';
import { useFastReluGradient } from './relu-gradient';
import { assertTrainable, makeTrainStep, type BatchTotals } from './train-step';

export { assertTrainable, measure, type BatchTotals } from './train-step';

export interface EngineOptions {
  /** Base seed: step n's dropout masks come from deriveSeed(seed, n). */
  readonly seed: number;
}

export interface TrainingEngine {
  /**
   * One optimizer step on a batch. `step` (1-based, counted over the whole run) seeds its dropout;
   * `nextSize`, the size of the batch after it, lets its masks be drawn while this step runs.
   */
  step(xs: Tensor, ys: Tensor, step: number, nextSize: number): BatchTotals;
  /** The rate of the following steps (in the engine and in the optimizer, where checkpoints save it). */
  setLearningRate(rate: number): void;
  /** Writes the engine's optimizer state back into the model's optimizer: before saving a checkpoint. */
  sync(): Promise<void>;
  /** Syncs, then frees the native state and stops the mask worker; the model trains as before. */
  close(): Promise<void>;
}

/** Opens the engine for a compiled model; close it when training ends, however it ends. */
export async function openEngine(
  tf: Tf,
  model: LayersModel,
  options: EngineOptions,
): Promise<TrainingEngine> {
  assertTrainable(model);
  // Same gradients and dropout rates as tfjs's own paths, only faster (see each file).
  useFastReluGradient(tf);
  const masks = startMaskPrefetch();
  useFastDropout(tf, model, masks);
  let update: OptimizerUpdate | undefined;
  const close = async () => {
    // A cancelled or failed epoch's steps stay in the optimizer too, as they did with model.fit.
    try {
      await update?.sync();
    } finally {
      update?.dispose();
      useFastDropout(tf, model);
      await masks.close();
    }
  };
  try {
    update = await fusedAdam(tf, model);
  } catch (e) {
    await close();
    throw e;
  }
  const run = makeCnnStep(tf, model, update) ?? makeTrainStep(tf, model, update);
  return {
    step(xs, ys, step, nextSize) {
      // The next step's masks are drawn on the side while this step's native ops run.
      masks.prefetch(plannedMasks(model, deriveSeed(options.seed, step + 1), nextSize));
      reseedDropout(model, deriveSeed(options.seed, step));
      return run(xs, ys);
    },
    setLearningRate(rate) {
      update?.setLearningRate(rate);
      // Adam, SGD and RMSProp in tfjs 4.22 keep it in this (protected) field and read it per step.
      (model.optimizer as unknown as { learningRate: number }).learningRate = rate;
    },
    sync: async () => update?.sync(),
    close,
  };
}
