// Proves that a tfjs-node package runs on native TensorFlow: backend 'tensorflow', and a conv2d and a
// matMul give the right numbers. Plain CommonJS so it runs before any TypeScript tooling is installed.
// Usage: node scripts/tensorflow/verify.js [@tensorflow/tfjs-node|@tensorflow/tfjs-node-gpu]
'use strict';

const pkg = process.argv[2] || '@tensorflow/tfjs-node';
// Keep TensorFlow's start-up banner out of the provisioning output.
process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || '2';

function fail(msg) {
  process.stderr.write(`verify: ${pkg}: ${msg}\n`);
  process.exit(1);
}

let tf;
try {
  tf = require(pkg);
} catch (e) {
  fail(`cannot load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
}
if (tf.getBackend() !== 'tensorflow') fail(`backend is '${tf.getBackend()}', expected 'tensorflow'`);

// 4x4 ones convolved with a 2x2 ones kernel: every valid window sums four ones.
const conv = Array.from(tf.conv2d(tf.ones([1, 4, 4, 1]), tf.ones([2, 2, 1, 1]), 1, 'valid').dataSync());
if (conv.length !== 9 || conv.some((v) => v !== 4)) fail(`conv2d gave [${conv}], expected nine 4s`);

const mm = Array.from(
  tf
    .matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([
        [5, 6],
        [7, 8],
      ]),
    )
    .dataSync(),
);
if (mm.join(',') !== '19,22,43,50') fail(`matMul gave [${mm}], expected [19,22,43,50]`);

const version = tf.backend().binding.TF_Version;
process.stdout.write(`${JSON.stringify({ package: pkg, backend: tf.getBackend(), tensorflow: version })}\n`);
