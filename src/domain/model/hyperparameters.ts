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
 * The rate the champion's own schedule would train its next epoch at (learningRate·decay^epochs), or
 * undefined when its recorded settings do not say.
 */
export function nextScheduledRate(
  champion: Readonly<Record<string, number | string>> | undefined,
): number | undefined {
  const { learningRate, learningRateDecay = 1, epochs } = champion ?? {};
  if (typeof learningRate !== 'number' || typeof learningRateDecay !== 'number' || typeof epochs !== 'number')
    return undefined;
  return learningRate * learningRateDecay ** epochs;
}

/**
 * The settings of one fine-tuning run (cycle `key`).
 * Learning rate: fine-tuning continues the champion's schedule where it ended, never below
 * FINE_TUNE_LEARNING_RATE. Restarting Adam at the bootstrap's full rate made a converged champion worse
 * (bench/continual/README.md), while a champion from a short bootstrap still learns fast at its own rate.
 * Seed: one per cycle, so each cycle replays a different selection of the pool (one fixed seed replayed
 * the same samples every cycle); stable across retries of one cycle.
 */
export function fineTuneHyperparameters(
  training: Config['training'],
  epochs: number,
  key: string,
  champion?: Readonly<Record<string, number | string>>,
): Hyperparameters {
  return {
    ...hyperparametersFromConfig(training),
    learningRate: Math.max(training.fineTuneLearningRate, nextScheduledRate(champion) ?? 0),
    epochs,
    seed: createHash('sha256').update(`${training.seed}/${key}`).digest().readUInt32BE(0),
  };
}
