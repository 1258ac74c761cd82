import { loadTf } from '../../../src/adapters/tf-backend';
import { createCnn } from '../../../src/domain/model/architecture';
import { reseedDropout, useFastDropout } from '../../../src/domain/model/engine/dropout-mask';
import type { Hyperparameters } from '../../../src/domain/model/hyperparameters';
import { setToTensors } from '../../../src/domain/model/tensors';
import type { LayersModel } from '../../../src/domain/model/tf';
import { readMnist } from '../../support/mnist-fixture';

/** Native TensorFlow, as the workers use it: the model tests are meaningless on a slower substitute. */
export const tf = loadTf('cpu');

export const HYPER: Hyperparameters = {
  optimizer: 'adam',
  learningRate: 0.001,
  batchSize: 64,
  epochs: 2,
  seed: 7,
};

/** 64 training images as tensors for the engine-step tests, disposed after the suite. */
export function useStepBatch() {
  const batch = setToTensors(tf, readMnist('train', 64), 'batch');
  afterAll(() => batch.dispose());
  return batch;
}

/** The CNN as the engine trains it: fast dropout, masks seeded; `built` runs it once to build its layers. */
export function seededCnn(options: { built?: boolean } = {}): LayersModel {
  const m = createCnn(tf, HYPER);
  useFastDropout(tf, m);
  if (options.built) tf.tidy(() => m.predict(tf.zeros([1, 28, 28, 1])));
  reseedDropout(m, 42);
  return m;
}
