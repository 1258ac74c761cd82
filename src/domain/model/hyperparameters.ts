import type { Config } from '../../config';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/** Everything that shapes a training run besides the data; recorded with every model version. */
export interface Hyperparameters {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
}

export function hyperparametersFromConfig(training: Config['training']): Hyperparameters {
  return {
    optimizer: training.optimizer,
    learningRate: training.learningRate,
    batchSize: training.batchSize,
    epochs: training.epochs,
    seed: training.seed,
  };
}
