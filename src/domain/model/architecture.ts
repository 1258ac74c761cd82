import { IMAGE_SIDE, NUM_CLASSES } from '../data/types';
import type { Hyperparameters } from './hyperparameters';
import type { LayersModel, Tf } from './tf';

/** Parameter count of the CNN below; a test pins it so an accidental change of architecture shows. */
export const CNN_PARAMS = 1_199_882;

/**
 * The original demo's CNN (the Keras mnist_cnn example): two 3×3 convolutions, max-pooling, dropout,
 * a dense layer of 128 and a softmax over the ten digits. Initialisers are seeded per layer so the same
 * seed gives the same starting weights.
 */
export function buildCnn(tf: Tf, seed: number): LayersModel {
  const kernel = (layer: number) => tf.initializers.glorotUniform({ seed: seed + layer });
  const model = tf.sequential({ name: 'mnist_cnn' });
  model.add(
    tf.layers.conv2d({
      inputShape: [IMAGE_SIDE, IMAGE_SIDE, 1],
      filters: 32,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: kernel(1),
    }),
  );
  model.add(
    tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: kernel(2) }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.dropout({ rate: 0.25, seed: seed + 3 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: kernel(4) }));
  model.add(tf.layers.dropout({ rate: 0.5, seed: seed + 5 }));
  model.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: kernel(6) }));
  return model;
}

export function makeOptimizer(tf: Tf, hp: Pick<Hyperparameters, 'optimizer' | 'learningRate'>) {
  switch (hp.optimizer) {
    case 'adam':
      return tf.train.adam(hp.learningRate);
    case 'sgd':
      return tf.train.sgd(hp.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(hp.learningRate);
  }
}

/** (Re)compiles with a fresh optimizer: used for new models and for fine-tuning a loaded champion. */
export function compileCnn(
  tf: Tf,
  model: LayersModel,
  hp: Pick<Hyperparameters, 'optimizer' | 'learningRate'>,
): void {
  model.compile({ optimizer: makeOptimizer(tf, hp), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
}

/** A new, compiled CNN. */
export function createCnn(tf: Tf, hp: Hyperparameters): LayersModel {
  const model = buildCnn(tf, hp.seed);
  compileCnn(tf, model, hp);
  return model;
}
