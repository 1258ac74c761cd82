import { useFastReluGradient } from '../../../src/domain/model/engine/relu-gradient';
import type { Tensor4D } from '@tensorflow/tfjs-node';
import { tf } from './tf';

describe('useFastReluGradient', () => {
  it('gives dy where x > 0 and zero elsewhere, NaN included, as TF ReluGrad does', () => {
    useFastReluGradient(tf);
    const x = tf.tensor1d([-2, -0.5, 0, 0.25, 3, NaN]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const grad = tf.grad((t) => tf.relu(t))(x, dy);
    expect(Array.from(grad.dataSync())).toEqual([0, 0, 0, 4, 5, 0]);
    tf.dispose([x, dy, grad]);
  });

  it('drives a conv layer to the same gradients as the reference dy·step(x)', () => {
    useFastReluGradient(tf);
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 3);
    const k = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 4);
    const loss = (kernel: typeof k) =>
      tf.sum(tf.square(tf.relu(tf.conv2d(x as Tensor4D, kernel as Tensor4D, 1, 'valid'))));
    const fast = tf.grad(loss)(k);
    // The reference written out, without the Relu kernel: step is 1 where the pre-activation is positive.
    const reference = tf.grad((kernel: typeof k) => {
      const pre = tf.conv2d(x as Tensor4D, kernel as Tensor4D, 1, 'valid');
      return tf.sum(tf.square(tf.mul(pre, tf.step(pre))));
    })(k);
    const diff = tf.max(tf.abs(tf.sub(fast, reference))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(fast)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, k, fast, reference]);
  });
});
