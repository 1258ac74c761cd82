import { createCnn } from '../../../src/domain/model/architecture';
import { evaluate, predict } from '../../../src/domain/model/evaluate';
import { train } from '../../../src/domain/model/train';
import { readMnist } from '../../support/mnist-fixture';
import { HYPER, tf } from './tf';

jest.setTimeout(60_000);

it('leaves no tensor behind across train / evaluate / predict cycles, cancelled ones included', async () => {
  const data = readMnist('train', 256);
  const validation = readMnist('train', 64, 1000);
  const model = createCnn(tf, { ...HYPER, epochs: 1 });
  const cycle = async (abortAfter?: number) => {
    const controller = new AbortController();
    let batches = 0;
    await train(tf, model, data, {
      hyper: { ...HYPER, epochs: 1 },
      validation,
      signal: controller.signal,
      onBatchEnd: () => {
        if (++batches === abortAfter) controller.abort();
      },
    });
    await evaluate(tf, model, validation, 32);
    await predict(tf, model, validation.images);
  };
  await cycle(); // the optimizer creates its slot variables on the first step
  const baseline = tf.memory().numTensors;
  await cycle();
  await cycle(2);
  await cycle();
  expect(tf.memory().numTensors).toBe(baseline);
  model.dispose();
});
