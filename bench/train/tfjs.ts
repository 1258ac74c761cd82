import { loadTf } from '../../src/adapters/tf-backend';
import type { MnistSet } from '../../src/domain/data';
import { createCnn } from '../../src/domain/model/architecture';
import { evaluate } from '../../src/domain/model/evaluate';
import { train } from '../../src/domain/model/train';
import type { BenchSettings, FrameworkResult } from './result';

/**
 * Trains our CNN with our training code (src/domain/model) on native TensorFlow, timed as the Keras side
 * is: from the end of the first batch to the end of the last.
 */
export async function runTfjs(
  data: { train: MnistSet; test: MnistSet },
  s: BenchSettings,
  log: (line: string) => void,
): Promise<FrameworkResult & { backend: string }> {
  const tf = loadTf('cpu');
  const model = createCnn(tf, {
    optimizer: 'adam',
    learningRate: s.learningRate,
    learningRateDecay: s.learningRateDecay,
    batchSize: s.batchSize,
    epochs: s.epochs,
    seed: s.seed,
  });
  let firstBatchEnd: number | undefined;
  let lastBatchEnd = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await train(tf, model, data.train, {
    hyper: {
      batchSize: s.batchSize,
      epochs: s.epochs,
      seed: s.seed,
      learningRate: s.learningRate,
      learningRateDecay: s.learningRateDecay,
    },
    onBatchEnd: () => {
      lastBatchEnd = performance.now();
      firstBatchEnd ??= lastBatchEnd;
    },
    onEpochEnd: (epoch, _model, m) =>
      log(`tfjs  epoch ${epoch + 1}/${s.epochs}: loss ${m.loss.toFixed(4)}, ${m.seconds.toFixed(1)} s`),
  });
  const cpu = process.cpuUsage(cpu0);
  const trainSeconds = (performance.now() - t0) / 1000;
  const evaluation = await evaluate(tf, model, data.test);
  model.dispose();

  const trained = data.train.count * s.epochs;
  const timedImages = trained - Math.min(s.batchSize, data.train.count);
  const timedSeconds = (lastBatchEnd - (firstBatchEnd ?? lastBatchEnd)) / 1000;
  return {
    backend: tf.getBackend(),
    imagesPerSec: timedSeconds > 0 ? timedImages / timedSeconds : NaN,
    testAccuracy: evaluation.accuracy,
    // maxRSS is in KiB.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    cpuMsPerImage: (cpu.user + cpu.system) / 1000 / trained,
    trainSeconds,
    firstBatchSeconds: ((firstBatchEnd ?? t0) - t0) / 1000,
    finalLoss: result.history.at(-1)?.loss ?? NaN,
  };
}
