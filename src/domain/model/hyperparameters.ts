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
