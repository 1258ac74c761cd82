import { loadTf } from '../../../src/adapters/tf-backend';
import type { Hyperparameters } from '../../../src/domain/model/hyperparameters';

/** Native TensorFlow, as the workers use it: the model tests are meaningless on a slower substitute. */
export const tf = loadTf('cpu');

export const HYPER: Hyperparameters = {
  optimizer: 'adam',
  learningRate: 0.001,
  batchSize: 64,
  epochs: 2,
  seed: 7,
};
