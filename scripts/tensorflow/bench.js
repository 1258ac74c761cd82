// Training throughput of the project's MNIST CNN (buildCnn of src/domain/model/architecture.ts) on
// random images, to compare TensorFlow thread settings: run it with TF_NUM_INTRAOP_THREADS /
// TF_NUM_INTEROP_THREADS set differently. Usage: node scripts/tensorflow/bench.js [images] [batchSize]
'use strict';

process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || '2';
const tf = require('@tensorflow/tfjs-node');

const images = Number(process.argv[2] || 2048);
const batchSize = Number(process.argv[3] || 128);

// The project's own CNN, from the architecture module (tsx loads the TypeScript source).
require('tsx/cjs');
const { createCnn } = require('../../src/domain/model/architecture');
const model = createCnn(tf, { optimizer: 'adam', learningRate: 0.001, batchSize, epochs: 1, seed: 42 });

const x = tf.randomUniform([images, 28, 28, 1]);
const y = tf.oneHot(tf.randomUniform([images], 0, 10, 'int32'), 10);

(async () => {
  // The first epoch pays for kernel selection and allocation; time the second.
  await model.fit(x, y, { batchSize, epochs: 1, verbose: 0 });
  const t0 = process.hrtime.bigint();
  await model.fit(x, y, { batchSize, epochs: 1, verbose: 0 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const threads = `intra=${process.env.TF_NUM_INTRAOP_THREADS || 'default'} inter=${process.env.TF_NUM_INTEROP_THREADS || 'default'}`;
  process.stdout.write(
    `${threads} batch=${batchSize}: ${(images / s).toFixed(0)} images/s (${s.toFixed(2)} s)\n`,
  );
})();
