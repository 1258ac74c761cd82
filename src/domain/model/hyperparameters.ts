import { createHash } from 'node:crypto';
import type { Config } from '../../config';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/** Everything that shapes a training run besides the data; recorded with every model version. */
export interface Hyperparameters {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /**
   * Factor on the learning rate per epoch: epoch e trains at learningRate·decayᵉ. Absent in models
   * trained before it existed, which trained at a constant rate (1).
   */
  readonly learningRateDecay?: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
}

export function hyperparametersFromConfig(training: Config['training']): Hyperparameters {
  return {
    optimizer: training.optimizer,
    learningRate: training.learningRate,
    learningRateDecay: training.learningRateDecay,
    batchSize: training.batchSize,
    epochs: training.epochs,
    seed: training.seed,
  };
}

/**
 * The settings of one fine-tuning run (cycle `key`): its own learning rate, about where the bootstrap's
 * decayed schedule ended, because restarting Adam at the bootstrap's full rate makes the champion worse
 * before it gets better; and a seed of its own per cycle, so each cycle replays a different selection of
 * the pool (one fixed seed replayed the same samples every cycle). Stable across retries of one cycle.
 */
export function fineTuneHyperparameters(
  training: Config['training'],
  epochs: number,
  key: string,
): Hyperparameters {
  return {
    ...hyperparametersFromConfig(training),
    learningRate: training.fineTuneLearningRate,
    epochs,
    seed: createHash('sha256').update(`${training.seed}/${key}`).digest().readUInt32BE(0),
  };
}
